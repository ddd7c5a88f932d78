package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/presales"
)

const policyDoc = `{"approval_free": 1,
 "approval": [{"name": "project contact or channel manager", "roles": ["project_contact", "channel_manager"]},
              {"step": 2, "name": "regional director", "roles": ["regional_director"]}],
 "products": [{"id": "AP", "name": "Enterprise AP", "self_service": true,
               "parts": [{"part": "EN-AP-LIC", "name": "AP access license", "kind": "count"}],
               "template": [{"part": "EN-AP-LIC", "quantity": 8}]},
              {"id": "FW", "name": "Firewall", "self_service": false, "parts": [{"part": "EN-FW-VER", "name": "Release", "kind": "version"}], "template": []}]}`

// TestParsePresalesPolicy: the document the policy route serves reads back as the same policy,
// and every fault is refused naming where.
func TestParsePresalesPolicy(t *testing.T) {
	p, err := ParsePresalesPolicy(strings.NewReader(policyDoc))
	if err != nil {
		t.Fatal(err)
	}
	want := presales.Policy{ApprovalFree: 1,
		Approval: []presales.Step{{Name: "project contact or channel manager", Roles: presales.RoleProjectContact | presales.RoleChannelManager},
			{Name: "regional director", Roles: presales.RoleRegionalDirector}},
		Products: []presales.Product{{ID: "AP", Name: "Enterprise AP", SelfService: true,
			Parts: []presales.Part{{Part: "EN-AP-LIC", Name: "AP access license", Kind: entitlement.PartCount}}, Template: []presales.Value{{Part: "EN-AP-LIC", Qty: 8}}},
			{ID: "FW", Name: "Firewall", Parts: []presales.Part{{Part: "EN-FW-VER", Name: "Release", Kind: entitlement.PartVersion}}}}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("got %+v\nwant %+v", p, want)
	}
	if _, err := presales.New(newTestLedger(t), p); err != nil {
		t.Fatal(err)
	}
	// What the route serves reads back as the same policy.
	served, _ := json.Marshal(toPresalesPolicy(p))
	again, err := ParsePresalesPolicy(bytes.NewReader(served))
	if err != nil || !reflect.DeepEqual(again, p) {
		t.Fatalf("the served form reads back as %+v, %v", again, err)
	}
	for _, c := range []struct{ name, doc, want string }{
		{"unknown field", `{"approval_free":1,"esn":"x"}`, `unknown field "esn"`},
		{"a key twice", `{"approval_free":1,"approval_free":9}`, `"approval_free" names a field already given`},
		{"syntax", `{"approval_free":1,}`, "(byte 19)"},
		{"other days", `{"days":[30,45]}`, "days [30 45]"},
		{"an unknown role", `{"approval":[{"name":"x","roles":["king"]}]}`, "approval[0].roles: unknown role king"},
		{"steps out of order", `{"approval":[{"step":2,"name":"x","roles":["channel_manager"]}]}`, "approval[0]: step 2"},
		{"an unknown kind", `{"products":[{"id":"A","name":"A","parts":[{"part":"P","name":"P","kind":"bytes"}]}]}`, `products[0].parts[0].kind "bytes"`},
		{"trailing data", `{} {}`, "data after the JSON value"},
		{"too large", `{"products":[` + strings.Repeat(" ", maxPolicyBytes) + `]}`, "larger than"},
	} {
		_, err := ParsePresalesPolicy(strings.NewReader(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "httpapi: presales policy: ") {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// FuzzParsePresalesPolicy: the parser never panics; what it accepts either makes a book or is
// refused by presales.New as invalid, and its served form reads back as the same policy.
func FuzzParsePresalesPolicy(f *testing.F) {
	f.Add([]byte(policyDoc))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"days":[30,60,90,120,180],"approval":[]}`))
	f.Add([]byte(`{"products":[{"id":"A","name":"A","parts":[{"part":"P","name":"P","kind":"flag"}],"template":[{"part":"P","quantity":1}]}]}`))
	f.Add([]byte(`{"approval":[{"step":1,"name":"x","roles":["approver"]}]}`))
	l := newTestLedger(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := ParsePresalesPolicy(bytes.NewReader(doc))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "httpapi: presales policy: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if _, err := presales.New(l, p); err != nil {
			if !errors.Is(err, entitlement.ErrInvalid) {
				t.Fatalf("presales.New: %v", err)
			}
			return
		}
		served, err := json.Marshal(toPresalesPolicy(p))
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParsePresalesPolicy(bytes.NewReader(served))
		if err != nil {
			t.Fatalf("served form %s: %v", served, err)
		}
		if len(p.Approval) == 0 {
			p.Approval = presales.DefaultApproval // served with the default steps
		}
		if !reflect.DeepEqual(again, p) {
			t.Fatalf("served form reads back as %+v, want %+v", again, p)
		}
	})
}
