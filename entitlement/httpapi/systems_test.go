package httpapi_test

import (
	"testing"

	"github.com/lmskit/lmskit/entitlement/httpapi"
)

// TestSystemRoutes drives the per-system operations over HTTP: SV9100 migration, hardware
// replacement by the license desk, DECT upload and the PARI confirmation, and the refusals of
// operations on the wrong system.
func TestSystemRoutes(t *testing.T) {
	e := newEnv(t)
	var cu httpapi.Customer
	e.want(201, "POST", "/v1/customers", e.dist, httpapi.CustomerRequest{Name: "C"}, &cu)

	// Migration SV9100 CP10 → CP20.
	var sh httpapi.Shipment
	e.want(201, "POST", "/v1/orders", e.admin, httpapi.OrderRequest{Partner: "distx", PO: "SV91-4 Lics", SO: "SO1",
		Lines: []httpapi.OrderLine{{Part: "BE114074", Quantity: 1}}}, &sh)
	var cp10 httpapi.Location
	e.want(201, "POST", "/v1/locations", e.dist, httpapi.LocationRequest{Customer: cu.ID, Name: "SV9100-4", System: "SV9100 CP10", HWKC: "341006761783"}, &cp10)
	e.want(201, "POST", "/v1/locations/"+cp10.ID+"/attach", e.dist, httpapi.AttachRequest{Picks: allPicks(sh)}, nil)
	e.want(200, "POST", "/v1/locations/"+cp10.ID+"/activate", e.dist, httpapi.ActivateRequest{AcceptAgreement: true}, nil)
	r := e.want(422, "POST", "/v1/locations/"+cp10.ID+"/migration", e.dist, httpapi.HardwareRequest{HWKC: "341006761784"}, nil)
	if p := r.problem(t); p.Type != "urn:lmskit:problem:invalid" || p.Field != "hwkc" || p.Position == nil || *p.Position != 0 {
		t.Fatalf("migration to a CP10 code: %+v", p)
	}
	var mig httpapi.FileInfo
	e.want(200, "POST", "/v1/locations/"+cp10.ID+"/migration", e.dist, httpapi.HardwareRequest{HWKC: "441018029547"}, &mig)
	var v httpapi.LocationView
	e.want(200, "GET", "/v1/locations/"+cp10.ID, e.dist, nil, &v)
	if v.System != "SV9100 CP20" || v.HWKC != "441018029547" || len(v.HistoryLines) != 1 || v.HistoryLines[0].State != "migrated" ||
		len(v.FormerHWKC) != 1 || mig.Name != "441018029547-svi.zip" {
		t.Fatalf("after migration: %+v, file %+v", v, mig)
	}
	// The former code still finds the location.
	e.want(200, "GET", "/v1/lookups/hwkc/341006761783", e.dist, nil, nil)

	// Hardware replacement is the license desk's.
	sh2, loc := e.sv8100("PO8100", "191000343919")
	e.want(201, "POST", "/v1/locations/"+loc.ID+"/attach", e.dist, httpapi.AttachRequest{Picks: allPicks(sh2)}, nil)
	e.want(200, "POST", "/v1/locations/"+loc.ID+"/activate", e.dist, httpapi.ActivateRequest{AcceptAgreement: true}, nil)
	e.want(403, "POST", "/v1/locations/"+loc.ID+"/hardware-replacement", e.dist, httpapi.HardwareRequest{HWKC: "191000343920"}, nil)
	r = e.want(422, "POST", "/v1/locations/"+loc.ID+"/hardware-replacement", e.admin, httpapi.HardwareRequest{HWKC: "19100034392"}, nil)
	if p := r.problem(t); p.Field != "hwkc" || p.Position == nil {
		t.Fatalf("a short code: %+v", p)
	}
	var rep httpapi.FileInfo
	e.want(200, "POST", "/v1/locations/"+loc.ID+"/hardware-replacement", e.admin, httpapi.HardwareRequest{HWKC: "191000343920"}, &rep)
	if rep.Name != "191000343920-svi.zip" || rep.Serial != 2 {
		t.Fatalf("replacement file %+v", rep)
	}
	// The old code is retired: no new location for it.
	r = e.want(409, "POST", "/v1/locations", e.dist, httpapi.LocationRequest{Customer: cu.ID, Name: "again", System: "SV8100", HWKC: "191000343919"}, nil)
	if p := r.problem(t); p.Type != "urn:lmskit:problem:state" {
		t.Fatalf("%+v", p)
	}

	// DECT upload as the first action, then the license desk's PARI confirmation.
	var dect httpapi.Location
	e.want(201, "POST", "/v1/locations", e.dist, httpapi.LocationRequest{Customer: cu.ID, Name: "D", System: "IP DECT", HWKC: "1FFFFFF9"}, &dect)
	e.want(409, "POST", "/v1/locations/"+dect.ID+"/pari-deactivation", e.admin, nil, nil)
	var up httpapi.Lines
	e.want(201, "POST", "/v1/locations/"+dect.ID+"/dect-import", e.dist, []byte("# an old system\nEU917062 2\n"), &up, "Content-Type", "text/plain")
	if len(up.Lines) != 1 || up.Lines[0].State != "activated" || up.Lines[0].Quantity != 2 {
		t.Fatalf("uploaded %+v", up)
	}
	e.want(409, "POST", "/v1/locations/"+dect.ID+"/dect-import", e.dist, []byte("EU917062 2\n"), nil, "Content-Type", "text/plain")
	e.want(403, "POST", "/v1/locations/"+dect.ID+"/pari-deactivation", e.dist, nil, nil)
	e.want(204, "POST", "/v1/locations/"+dect.ID+"/pari-deactivation", e.admin, nil, nil)

	// Operations on the wrong system are refused with the field or the rule.
	e.want(422, "POST", "/v1/locations/"+loc.ID+"/lan1-ip", e.dist, httpapi.LAN1IPRequest{IP: "10.0.0.1"}, nil)
	if p := e.want(422, "POST", "/v1/locations/"+loc.ID+"/lan1-ip", e.dist, httpapi.LAN1IPRequest{IP: "ten"}, nil).problem(t); p.Field != "ip" {
		t.Fatalf("%+v", p)
	}
	e.want(422, "POST", "/v1/locations/"+loc.ID+"/computer-name", e.dist, httpapi.ComputerNameRequest{ComputerName: "pbx.example"}, nil)
	e.want(422, "POST", "/v1/locations/"+loc.ID+"/secondary-hardware-replacement", e.admin, httpapi.HardwareRequest{HWKC: "191000343921"}, nil)
	e.want(422, "POST", "/v1/locations/"+loc.ID+"/external-file?name=x.lic", e.admin, []byte("file"), nil, "Content-Type", "application/octet-stream")
	e.want(403, "POST", "/v1/locations/"+loc.ID+"/external-file?name=x.lic", e.dist, []byte("file"), nil, "Content-Type", "application/octet-stream")
}
