package httpapi

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/presales"
)

// maxPolicyBytes caps a temporary license policy document.
const maxPolicyBytes = 1 << 20

// ParsePresalesPolicy reads a temporary license policy in the JSON form GET
// /v1/temporary-licenses/policy serves ([PresalesPolicy]), so that a server's policy can be kept
// in a file and copied from another server's answer:
//
//	{"approval_free": 1,
//	 "approval": [{"name": "project contact or channel manager", "roles": ["project_contact", "channel_manager"]},
//	              {"name": "regional director", "roles": ["regional_director"]}],
//	 "products": [{"id": "AP", "name": "Enterprise AP", "self_service": true,
//	               "parts": [{"part": "EN-AP-LIC", "name": "AP access license", "kind": "count"}],
//	               "template": [{"part": "EN-AP-LIC", "quantity": 8}]}]}
//
// approval may be left out (presales.DefaultApproval); a step's number, when given, is its place
// from 1; days, when given, must be the fixed validity periods (30, 60, 90, 120, 180); an empty or
// absent template means the product has none. The document is read strictly: at most 1 MiB, no
// unknown field, no key twice, nothing after it. A fault is an error naming the field and, for
// JSON syntax, the byte offset; the products are checked further by presales.New when the
// handler is made (Options.Presales). The policy's ESN rule is code, not data: set
// presales.Policy.ESN on the result to narrow the ESN grammar.
func ParsePresalesPolicy(r io.Reader) (presales.Policy, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPolicyBytes+1))
	if err != nil {
		return presales.Policy{}, fmt.Errorf("httpapi: presales policy: %w", err)
	}
	if len(data) > maxPolicyBytes {
		return presales.Policy{}, fmt.Errorf("httpapi: presales policy: larger than %d bytes", maxPolicyBytes)
	}
	var doc PresalesPolicy
	if err := decodeJSON(data, &doc); err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			msg := "httpapi: presales policy: " + ae.detail
			if ae.position != nil && ae.field == "" {
				msg += fmt.Sprintf(" (byte %d)", *ae.position)
			}
			return presales.Policy{}, errors.New(msg)
		}
		return presales.Policy{}, err
	}
	bad := func(format string, a ...any) (presales.Policy, error) {
		return presales.Policy{}, fmt.Errorf("httpapi: presales policy: "+format, a...)
	}
	if doc.Days != nil && !slices.Equal(doc.Days, presales.Days) {
		return bad("days %v: the validity periods are fixed at %v", doc.Days, presales.Days)
	}
	p := presales.Policy{ApprovalFree: doc.ApprovalFree}
	for i, s := range doc.Approval {
		if s.Step != 0 && s.Step != i+1 {
			return bad("approval[%d]: step %d out of order", i, s.Step)
		}
		roles, err := parseFlags(s.Roles, presalesRoleNames, "roles")
		if err != nil {
			return bad("approval[%d].roles: %s", i, err.(*apiError).detail)
		}
		p.Approval = append(p.Approval, presales.Step{Name: s.Name, Roles: roles})
	}
	for i, pr := range doc.Products {
		prod := presales.Product{ID: pr.ID, Name: pr.Name, SelfService: pr.SelfService}
		for j, pt := range pr.Parts {
			kind, ok := partKinds[pt.Kind]
			if !ok {
				return bad("products[%d].parts[%d].kind %q: want count, version or flag", i, j, pt.Kind)
			}
			prod.Parts = append(prod.Parts, presales.Part{Part: pt.Part, Name: pt.Name, Kind: kind})
		}
		for _, v := range pr.Template {
			prod.Template = append(prod.Template, presales.Value{Part: v.Part, Qty: v.Quantity})
		}
		p.Products = append(p.Products, prod)
	}
	return p, nil
}

var partKinds = map[string]entitlement.PartKind{"count": entitlement.PartCount, "version": entitlement.PartVersion, "flag": entitlement.PartFlag}
