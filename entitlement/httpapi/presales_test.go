package httpapi_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/entitlement/presales"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

const esn = "2102350DLF10H1000123"

// presalesPolicy has a product with an enterprise part template that allows self-service
// download, one without a template, and one distributed by the vendor only; one application per
// ESN skips approval.
func presalesPolicy(o *httpapi.Options) {
	o.Presales = &presales.Policy{ApprovalFree: 1, Products: []presales.Product{
		{ID: "AP", Name: "Enterprise AP", SelfService: true, Parts: []presales.Part{{Part: "EN-AP-LIC", Name: "AP access license", Kind: entitlement.PartCount}},
			Template: []presales.Value{{Part: "EN-AP-LIC", Qty: 8}}},
		{ID: "FW", Name: "Firewall", SelfService: true, Parts: []presales.Part{{Part: "EN-FW-THR", Name: "Throughput", Kind: entitlement.PartCount}}},
		{ID: "CORE", Name: "Core switch", Parts: []presales.Part{{Part: "EN-CS-PORT", Name: "Ports", Kind: entitlement.PartCount}},
			Template: []presales.Value{{Part: "EN-CS-PORT", Qty: 48}}},
	}}
}

// staff adds vendor users and tokens for them.
func (e *env) staff(users ...string) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for _, u := range users {
		e.want(201, "POST", "/v1/users", e.admin, httpapi.User{ID: u, Name: u, Partner: "vendor", Roles: []string{"lms_user"}}, nil)
		var it httpapi.IssuedToken
		e.want(201, "POST", "/v1/tokens", e.admin, httpapi.TokenRequest{User: u}, &it)
		out[u] = it.Secret
	}
	return out
}

// TestGuide_TemporaryLicenseOverHTTP walks the "Pre-sales Expansion License Application" over
// HTTP: the policy, a device added by its ESN, an application below the approval-free count with
// the template unchanged (issued at once, downloaded and checked as a device checks it), one
// above it (two approval steps), one rejected, one refilled from a process number; each retried
// application applies once; another partner's applications are not found.
func TestGuide_TemporaryLicenseOverHTTP(t *testing.T) {
	e := newEnv(t, presalesPolicy)
	var pol httpapi.PresalesPolicy
	e.want(200, "GET", "/v1/temporary-licenses/policy", e.dist, nil, &pol)
	if pol.ApprovalFree != 1 || len(pol.Days) != 5 || len(pol.Approval) != 2 || pol.Approval[0].Step != 1 ||
		strings.Join(pol.Approval[0].Roles, ",") != "project_contact,channel_manager" || len(pol.Products) != 3 || len(pol.Products[1].Template) != 0 {
		t.Fatalf("policy %+v", pol)
	}
	e.want(401, "GET", "/v1/temporary-licenses/policy", "", nil, nil)

	// The device.
	e.want(404, "GET", "/v1/temporary-licenses/devices/"+esn, e.dist, nil, nil)
	var dev httpapi.Device
	e.want(201, "POST", "/v1/temporary-licenses/devices", e.dist, httpapi.DeviceRequest{ESN: esn}, &dev)
	if dev.ESN != esn || dev.AddedBy != "ed@distx" || dev.Applications != 0 {
		t.Fatalf("device %+v", dev)
	}
	e.want(409, "POST", "/v1/temporary-licenses/devices", e.dist, httpapi.DeviceRequest{ESN: esn}, nil)
	e.want(422, "POST", "/v1/temporary-licenses/devices", e.dist, httpapi.DeviceRequest{ESN: "SHORT"}, nil)

	// Below the approval-free count, the template unchanged: issued at once, retried once.
	apply := httpapi.TemporaryLicenseRequest{ESN: esn, NoCustomer: true, Days: 30,
		Products: []httpapi.ProductRequest{{Product: "AP", UseTemplate: true, Values: []httpapi.PartValue{{Part: "EN-AP-LIC", Quantity: 8}}}}}
	var app httpapi.TemporaryLicense
	first := e.want(201, "POST", "/v1/temporary-licenses/applications", e.dist, apply, &app, "Idempotency-Key", "tl-1")
	if again := e.want(201, "POST", "/v1/temporary-licenses/applications", e.dist, apply, nil, "Idempotency-Key", "tl-1"); !bytes.Equal(again.body, first.body) ||
		first.Header.Get("Location") != "/v1/temporary-licenses/applications/TL-1" {
		t.Fatalf("a retried application answers differently, or without its Location %q", first.Header.Get("Location"))
	}
	if app.Number != "TL-1" || app.Status != "issued" || !app.ApprovalFree || app.ApplicationsBefore != 0 || app.File == nil || app.File.Type != "C" ||
		app.File.Download != "/v1/temporary-licenses/applications/TL-1/file" || app.Approvals == nil || app.WaitingStep != 0 {
		t.Fatalf("application %+v", app)
	}
	if e.want(200, "GET", "/v1/temporary-licenses/devices/"+esn, e.dist, nil, &dev); dev.Applications != 1 {
		t.Fatalf("a retried application counted twice: %+v", dev)
	}
	dl := e.want(200, "GET", app.File.Download, e.dist, nil, nil)
	// (license.ReadInput does not yet recognise an svi zip that holds fixed-term files only.)
	files, err := license.ReadSVIZipFiles(dl.body)
	if err != nil || len(files) != 1 {
		t.Fatalf("download: %v", err)
	}
	kr := signing.NewKeyring()
	if err := kr.Add(e.key.Public().KeyID().Bytes(), e.key.Public(), signing.Window{}); err != nil {
		t.Fatal(err)
	}
	f, err := license.Open(files[0], kr)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Check(license.Host{System: keycode.ESN, Code: keycode.MustParse(keycode.ESN, esn)}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if f.Entitlement != string(license.TypePresalesExpansion) || !f.NotAfter.Equal(app.File.NotAfter) {
		t.Fatalf("file type %s ends %v", f.Entitlement, f.NotAfter)
	}
	if arm := e.want(200, "GET", app.File.Download+"?format=armored", e.dist, nil, nil); !strings.HasPrefix(string(arm.body), "-----BEGIN LMSKIT LICENSE-----") {
		t.Fatalf("armored %s", arm.body)
	}

	// Above the count: two approval steps, each by a vendor user holding its role.
	users := e.staff("pc@vendor", "rd@vendor")
	pc, rd := users["pc@vendor"], users["rd@vendor"]
	var sr httpapi.StaffRoles
	e.want(403, "PUT", "/v1/users/pc@vendor/temporary-license-roles", e.dist, httpapi.PresalesRolesRequest{Roles: []string{"project_contact"}}, nil)
	e.want(200, "PUT", "/v1/users/pc@vendor/temporary-license-roles", e.admin, httpapi.PresalesRolesRequest{Roles: []string{"project_contact"}}, &sr)
	if sr.User != "pc@vendor" || strings.Join(sr.Roles, ",") != "project_contact" {
		t.Fatalf("roles %+v", sr)
	}
	e.want(200, "PUT", "/v1/users/rd@vendor/temporary-license-roles", e.admin, httpapi.PresalesRolesRequest{Roles: []string{"regional_director"}}, nil)
	r := e.want(422, "PUT", "/v1/users/rd@vendor/temporary-license-roles", e.admin, httpapi.PresalesRolesRequest{Roles: []string{"regional_director", "king"}}, nil)
	if p := r.problem(t); p.Field != "roles" || p.Position == nil || *p.Position != 1 {
		t.Fatalf("unknown role: %+v", p)
	}
	e.want(201, "POST", "/v1/temporary-licenses/applications", e.dist, apply, &app)
	if app.Status != "pending" || app.WaitingStep != 1 || app.WaitingFor != "project contact or channel manager" || app.ApplicationsBefore != 1 || app.File != nil {
		t.Fatalf("second application %+v", app)
	}
	e.want(409, "GET", "/v1/temporary-licenses/applications/"+app.Number+"/file", e.dist, nil, nil)
	e.want(403, "POST", "/v1/temporary-licenses/applications/"+app.Number+"/approve", e.dist, nil, nil)
	e.want(403, "POST", "/v1/temporary-licenses/applications/"+app.Number+"/approve", rd, nil, nil) // not the first step's role
	e.want(200, "POST", "/v1/temporary-licenses/applications/"+app.Number+"/approve", pc, httpapi.ApprovalRequest{Note: "fine"}, &app,
		"Idempotency-Key", "ap-1")
	e.want(200, "POST", "/v1/temporary-licenses/applications/"+app.Number+"/approve", pc, httpapi.ApprovalRequest{Note: "fine"}, nil,
		"Idempotency-Key", "ap-1") // a retry approves once: the next step still waits
	if app.Status != "pending" || app.WaitingStep != 2 || len(app.Approvals) != 1 || app.Approvals[0].Step != 1 || app.Approvals[0].User != "pc@vendor" {
		t.Fatalf("after step 1: %+v", app)
	}
	e.want(200, "POST", "/v1/temporary-licenses/applications/"+app.Number+"/approve", rd, nil, &app)
	if app.Status != "issued" || app.File == nil || len(app.Approvals) != 2 {
		t.Fatalf("after step 2: %+v", app)
	}
	e.want(200, "GET", app.File.Download, e.dist, nil, nil) // self-service

	// A product distributed by the vendor: its staff download it, the applicant does not.
	var core httpapi.TemporaryLicense
	e.want(201, "POST", "/v1/temporary-licenses/applications", e.dist, httpapi.TemporaryLicenseRequest{ESN: esn, NoCustomer: true, Days: 90,
		Products: []httpapi.ProductRequest{{Product: "CORE", UseTemplate: true, Values: []httpapi.PartValue{{Part: "EN-CS-PORT", Quantity: 48}}}}}, &core)
	e.want(200, "POST", "/v1/temporary-licenses/applications/"+core.Number+"/approve", pc, nil, nil)
	e.want(200, "POST", "/v1/temporary-licenses/applications/"+core.Number+"/approve", rd, nil, &core)
	e.want(403, "GET", core.File.Download, e.dist, nil, nil)
	e.want(200, "GET", core.File.Download, e.admin, nil, nil)

	// Rejected, with a reason; its license is never issued.
	var rej httpapi.TemporaryLicense
	e.want(201, "POST", "/v1/temporary-licenses/applications", e.dist, httpapi.TemporaryLicenseRequest{ESN: esn, NoCustomer: true, Days: 60,
		Products: []httpapi.ProductRequest{{Product: "FW", Values: []httpapi.PartValue{{Part: "EN-FW-THR", Quantity: 2}}}}}, &rej)
	e.want(422, "POST", "/v1/temporary-licenses/applications/"+rej.Number+"/reject", pc, httpapi.ReasonRequest{}, nil)
	e.want(200, "POST", "/v1/temporary-licenses/applications/"+rej.Number+"/reject", pc, httpapi.ReasonRequest{Reason: "no project"}, &rej)
	if rej.Status != "rejected" || rej.Reason != "no project" || rej.WaitingStep != 0 {
		t.Fatalf("rejected %+v", rej)
	}
	e.want(409, "GET", "/v1/temporary-licenses/applications/"+rej.Number+"/file", e.dist, nil, nil)

	// Refilled from a process number.
	var pre httpapi.TemporaryLicenseRequest
	e.want(200, "GET", "/v1/temporary-licenses/applications/TL-1/prefill", e.dist, nil, &pre)
	if pre.From != "TL-1" || pre.ESN != esn || !pre.NoCustomer || pre.Days != 30 || len(pre.Products) != 1 || pre.Products[0].Values[0].Quantity != 8 {
		t.Fatalf("prefill %+v", pre)
	}
	var refilled httpapi.TemporaryLicense
	e.want(201, "POST", "/v1/temporary-licenses/applications", e.dist, pre, &refilled)
	if refilled.From != "TL-1" {
		t.Fatalf("refilled %+v", refilled)
	}
	var page struct{ Items []httpapi.TemporaryLicense }
	e.want(200, "GET", "/v1/temporary-licenses/devices/"+esn+"/applications?limit=3", e.dist, nil, &page)
	if len(page.Items) != 3 || page.Items[0].Number != "TL-1" || page.Items[2].Number != "TL-3" {
		t.Fatalf("page %+v", page.Items)
	}

	// Input is checked.
	for _, bad := range []httpapi.TemporaryLicenseRequest{
		{ESN: esn, NoCustomer: true, Days: 45, Products: apply.Products},
		{ESN: esn, Days: 30, Products: apply.Products},
		{ESN: esn, NoCustomer: true, Days: 30, Products: []httpapi.ProductRequest{{Product: "NOPE", Values: []httpapi.PartValue{{Part: "X", Quantity: 1}}}}},
	} {
		e.want(422, "POST", "/v1/temporary-licenses/applications", e.dist, bad, nil)
	}

	// Another partner's applications are not found, as unknown ones; its users see the device but
	// none of its applications.
	for _, p := range []string{"", "/prefill", "/file"} {
		e.sameNotFound(e.other, "GET", "/v1/temporary-licenses/applications/TL-1"+p, "/v1/temporary-licenses/applications/TL-999"+p, nil, "TL-1", "TL-999")
	}
	e.sameNotFound(e.other, "POST", "/v1/temporary-licenses/applications/TL-2/reject", "/v1/temporary-licenses/applications/TL-999/reject",
		httpapi.ReasonRequest{Reason: "x"}, "TL-2", "TL-999")
	var none struct{ Items []httpapi.TemporaryLicense }
	if e.want(200, "GET", "/v1/temporary-licenses/devices/"+esn+"/applications", e.other, nil, &none); len(none.Items) != 0 {
		t.Fatalf("another partner sees %d applications", len(none.Items))
	}
	e.conserved()
}

// TestWorkflowsOff: without their books, the temporary license and deal registration routes
// answer 404 with a problem document (and still authenticate first).
func TestWorkflowsOff(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/v1/temporary-licenses/policy", "/v1/temporary-licenses/devices/" + esn, "/v1/deal-registrations", "/v1/deal-registrations/DR-1"} {
		if p := e.want(404, "GET", path, e.dist, nil, nil).problem(t); p.Type != "urn:lmskit:problem:not-found" {
			t.Fatalf("%s: %+v", path, p)
		}
		e.want(401, "GET", path, "", nil, nil)
	}
}
