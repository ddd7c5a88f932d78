package httpapi_test

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/swa"
)

// iS3000 licenses of the guide's SIP@Net system, as the swa package's example ships them.
var is3000Lines = []httpapi.OrderLine{{Part: "960026138000", Quantity: 2}, {Part: "EU920000", Quantity: 2}, {Part: "EU920014", Quantity: 80}}

// at moves the clock to t and issues fresh tokens (those issued earlier may have expired).
func (e *env) at(t time.Time) {
	e.t.Helper()
	e.clock.t.Store(t.Unix())
	for user, tok := range map[string]*string{"admin@vendor": &e.admin, "ed@distx": &e.dist, "dealer@y": &e.dealer, "zed@distz": &e.other} {
		secret, _, err := e.l.IssueToken(ctx, entitlement.Actor{User: "admin@vendor"}, entitlement.TokenRequest{User: user})
		if err != nil {
			e.t.Fatal(err)
		}
		*tok = secret
	}
}

func (e *env) roles(user string, roles ...string) {
	e.t.Helper()
	e.want(200, "PUT", "/v1/users/"+user+"/roles", e.admin, httpapi.RolesRequest{Roles: roles}, nil)
}

// is3000Site creates a customer's iS3000 location and attaches half of each shipped line to it.
func (e *env) is3000Site(token, customer, name, hwkc string, sh httpapi.Shipment) httpapi.Location {
	e.t.Helper()
	var loc httpapi.Location
	e.want(201, "POST", "/v1/locations", token, httpapi.LocationRequest{Customer: customer, Name: name, System: "iS3000", HWKC: hwkc}, &loc)
	var picks []httpapi.Pick
	for _, s := range sh.Lines {
		if s.Part != "BE112031" {
			picks = append(picks, httpapi.Pick{Line: s.ID, Quantity: s.Shipped / 2})
		}
	}
	e.want(201, "POST", "/v1/locations/"+loc.ID+"/attach", token, httpapi.AttachRequest{Picks: picks}, nil)
	return loc
}

func (e *env) swaAvailable(token string) int64 {
	e.t.Helper()
	var b httpapi.SWABin
	e.want(200, "GET", "/v1/swa/bin", token, nil, &b)
	return b.Available
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var agreementNumber = regexp.MustCompile(`^50IS0-[A-Z]{4}[0-9]{5}-(N|W|R[0-9]{2})$`)

// TestGuide_SWAOverHTTP walks the guide's "Software Assurance handling" and "SWA Renewal in LMS"
// over HTTP on an iS3000/SIP@Net system, with the swa package example's figures: SWA units
// shipped into the units bin, licenses activated with the quote that follows, an assignment in
// grace (retried with its Idempotency-Key: the units are drawn once), in force after the 24-hour
// cooling-off, Lic-078 free of charge, a second location activated and assigned in one step and
// pushed, a renewal refused with the quote's reasons per location, and the co-term of both
// locations (retried: drawn once).
func TestGuide_SWAOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.at(time.Date(2014, 12, 15, 9, 0, 0, 0, time.UTC))
	e.roles("ed@distx", "lms_user", "swa_distributor")
	var sh httpapi.Shipment
	exp := date(2016, 12, 31)
	e.want(201, "POST", "/v1/orders", e.admin, httpapi.OrderRequest{Partner: "distx", PO: "PO-1412", SO: "SO-1412", ExpiresAt: &exp,
		Lines: append([]httpapi.OrderLine{{Part: "BE112031", Quantity: 1000}}, is3000Lines...)}, &sh)

	// The units bin: totals, shipments, the order lookup.
	var bin httpapi.SWABin
	e.want(200, "GET", "/v1/swa/bin", e.dist, nil, &bin)
	if bin != (httpapi.SWABin{Unallocated: 1000, Available: 1000, Shipments: 1}) {
		t.Fatalf("bin %+v", bin)
	}
	var ships struct{ Items []httpapi.SWAShipment }
	e.want(200, "GET", "/v1/swa/bin/shipments", e.dist, nil, &ships)
	if len(ships.Items) != 1 || ships.Items[0].SO != "SO-1412" || !ships.Items[0].ExpiresAt.Equal(exp) || ships.Items[0].Available != 1000 {
		t.Fatalf("shipments %+v", ships)
	}
	var byOrder struct{ Items []httpapi.SWAShipment }
	e.want(200, "GET", "/v1/swa/lookups/orders/PO-1412", e.dist, nil, &byOrder)
	if len(byOrder.Items) != 1 || byOrder.Items[0].ID != ships.Items[0].ID {
		t.Fatalf("order lookup %+v", byOrder)
	}
	var products struct{ Items []httpapi.SWAProduct }
	e.want(200, "GET", "/v1/swa/products", e.dealer, nil, &products)
	if !slices.ContainsFunc(products.Items, func(p httpapi.SWAProduct) bool { return p.Name == "iS3000" && p.Code == "IS" && len(p.Tables) == 2 }) {
		t.Fatalf("products %+v", products)
	}

	// Activation with the quote that follows, then the quote on its own.
	var cu httpapi.Customer
	e.want(201, "POST", "/v1/customers", e.dist, httpapi.CustomerRequest{Name: "Ed Austria"}, &cu)
	loc1 := e.is3000Site(e.dist, cu.ID, "SIP@Net 1", "aa0014SA2792654321AA", sh)
	loc2 := e.is3000Site(e.dist, cu.ID, "SIP@Net 2", "aa0014SA2792978543AA", sh)
	var act httpapi.SWAActivated
	e.want(200, "POST", "/v1/locations/"+loc1.ID+"/swa/activate", e.dist, httpapi.SWAActivateRequest{AcceptAgreement: true}, &act)
	if act.File.Serial != 1 || act.File.Download == "" || act.Quote == nil || act.Assignment != nil || len(act.FreeOfCharge) != 1 ||
		act.FreeOfCharge[0].Name != "Lic 078 - SWA Upgrade Q4-2013" {
		t.Fatalf("activated %+v", act)
	}
	var q httpapi.SWAQuote
	e.want(200, "GET", "/v1/locations/"+loc1.ID+"/swa/quote", e.dist, nil, &q)
	pq := q.Products[0]
	var terms []string
	for _, o := range pq.Options {
		terms = append(terms, fmt.Sprintf("%d/%d", o.Units, o.Months))
	}
	if q.Available != 1000 || pq.Application != "SIP@Net" || pq.State != "grace" || !pq.Start.Equal(date(2015, 4, 1)) ||
		strings.Join(terms, " ") != "66/12 129/24 189/36 251/48 304/60 0/0" {
		t.Fatalf("quote %+v (%v)", q, terms)
	}
	var prospects struct{ Items []httpapi.SWAProspect }
	e.want(200, "GET", "/v1/swa/prospects", e.dist, nil, &prospects)
	if len(prospects.Items) != 1 || prospects.Items[0].Location != loc1.ID || !prospects.Items[0].GraceEnd.Equal(date(2015, 3, 31)) {
		t.Fatalf("prospects %+v", prospects)
	}

	// Assign 66 units for 12 months: the checkbox is required; a retry with the key draws once.
	assign := httpapi.SWAAssignRequest{Choices: []httpapi.SWAChoice{{Months: 12}}, Reference: "order 4711"}
	r := e.want(422, "POST", "/v1/locations/"+loc1.ID+"/swa/assignments", e.dist, assign, nil)
	if p := r.problem(t); p.Type != "urn:lmskit:problem:units-not-authorized" || p.Field != "authorize_units" {
		t.Fatalf("without the checkbox: %+v", p)
	}
	assign.AuthorizeUnits = true
	first := e.want(201, "POST", "/v1/locations/"+loc1.ID+"/swa/assignments", e.dist, assign, nil, "Idempotency-Key", "assign-loc1")
	for range 3 {
		again := e.want(201, "POST", "/v1/locations/"+loc1.ID+"/swa/assignments", e.dist, assign, nil, "Idempotency-Key", "assign-loc1")
		if !bytes.Equal(again.body, first.body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the retried assignment is not the first one:\n%s\n%s", first.body, again.body)
		}
	}
	var asg httpapi.SWAAssignment
	first.json(t, &asg)
	if asg.State != "pending" || asg.Kind != "assignment" || asg.Units != 66 || asg.DueAt == nil || len(asg.Draws) != 1 ||
		first.Header.Get("Location") != "/v1/locations/"+loc1.ID+"/swa" {
		t.Fatalf("assignment %+v", asg)
	}
	if got := e.swaAvailable(e.dist); got != 1000-66 {
		t.Fatalf("%d units available after one assignment and its retries, want 934", got)
	}
	// Without the key, a second assignment on the pending location is refused (state).
	e.want(409, "POST", "/v1/locations/"+loc1.ID+"/swa/assignments", e.dist, assign, nil)
	var st httpapi.SWAStatus
	e.want(200, "GET", "/v1/locations/"+loc1.ID+"/swa", e.dist, nil, &st)
	if st.State != "pending" || st.Pending == nil || st.Pending.ID != asg.ID || st.TimeLeftSeconds != 24*3600 {
		t.Fatalf("status %+v", st)
	}
	var res struct{ Items []httpapi.SWAAssignment }
	e.want(200, "GET", "/v1/swa/reservations", e.dist, nil, &res)
	if len(res.Items) != 1 || res.Items[0].ID != asg.ID {
		t.Fatalf("reservations %+v", res)
	}
	// After 24 hours it is in force by itself.
	e.clock.add(24 * time.Hour)
	st = httpapi.SWAStatus{}
	e.want(200, "GET", "/v1/locations/"+loc1.ID+"/swa", e.dist, nil, &st)
	if p := st.Products[0]; st.State != "active" || !agreementNumber.MatchString(p.Agreement) || !strings.HasSuffix(p.Agreement, "-N") ||
		!p.ExpiresAt.Equal(date(2016, 3, 31)) || st.Pending != nil {
		t.Fatalf("status after the cooling-off %+v", st)
	}
	res.Items = nil
	e.want(200, "GET", "/v1/swa/reservations", e.dist, nil, &res)
	if len(res.Items) != 0 {
		t.Fatalf("reservations after the cooling-off %+v", res)
	}

	// Lic-078 free of charge with SWA in force.
	var offers struct{ Items []httpapi.SWAOffer }
	e.want(200, "GET", "/v1/locations/"+loc1.ID+"/swa/free-of-charge", e.dist, nil, &offers)
	if len(offers.Items) != 1 || offers.Items[0].Part != "960026473134" {
		t.Fatalf("offers %+v", offers)
	}
	var foc httpapi.SWAFreeOfChargeResult
	e.want(201, "POST", "/v1/locations/"+loc1.ID+"/swa/free-of-charge", e.dist,
		httpapi.SWAFreeOfChargeRequest{Parts: []string{"960026473134"}, AcceptAgreement: true}, &foc)
	if foc.PO != "SA20141216001" || foc.SO != "CO20141216001" || foc.File.Serial != 2 || len(foc.Lines) != 1 || foc.Lines[0].State != "activated" {
		t.Fatalf("free of charge %+v", foc)
	}

	// The second location: activated and assigned 24 months in one step, pushed at once.
	e.want(200, "POST", "/v1/locations/"+loc2.ID+"/swa/activate", e.dist, httpapi.SWAActivateRequest{AcceptAgreement: true,
		Assign: &httpapi.SWAAssignRequest{Choices: []httpapi.SWAChoice{{Months: 24}}, AuthorizeUnits: true}}, &act)
	if act.Assignment == nil || act.Assignment.Units != 129 || act.Assignment.State != "pending" {
		t.Fatalf("activated and assigned %+v", act)
	}
	path := fmt.Sprintf("/v1/swa/assignments/%d", act.Assignment.ID)
	r = e.want(422, "POST", path+"/push", e.dist, httpapi.SWAReasonRequest{}, nil)
	if p := r.problem(t); p.Type != "urn:lmskit:problem:invalid" {
		t.Fatalf("push without a reason: %+v", p)
	}
	var pushed httpapi.SWAAssignment
	e.want(200, "POST", path+"/push", e.dist, httpapi.SWAReasonRequest{Reason: "customer asked for it today"}, &pushed)
	if pushed.State != "active" || !pushed.Pushed || pushed.Reason != "customer asked for it today" || pushed.ClosedBy != "ed@distx" {
		t.Fatalf("pushed %+v", pushed)
	}
	e.want(409, "POST", path+"/cancel", e.dist, httpapi.SWAReasonRequest{Reason: "too late"}, nil)
	var settled httpapi.SWASettleReport
	e.want(200, "POST", "/v1/swa/settle", e.admin, nil, &settled)
	if settled.Activated == nil {
		t.Fatalf("settle report %+v", settled)
	}

	// January 2016. A renewal whose end is before the agreements' renewals start is refused with
	// the quote's reasons per location, and draws nothing.
	e.at(time.Date(2016, 1, 15, 9, 0, 0, 0, time.UTC))
	before := e.swaAvailable(e.dist)
	early := date(2016, 1, 1)
	bad := httpapi.SWARenewRequest{SWARenewalQuoteRequest: httpapi.SWARenewalQuoteRequest{Customer: cu.ID, End: &early}, AuthorizeUnits: true}
	r = e.want(422, "POST", "/v1/swa/renewals", e.dist, bad, nil)
	p := r.problem(t)
	var failed []string
	for _, rs := range p.Reasons {
		if rs.Reason == swa.ReasonEndBeforeStart {
			failed = append(failed, rs.Location)
		}
	}
	slices.Sort(failed)
	want := []string{loc1.ID, loc2.ID}
	slices.Sort(want)
	if p.Type != "urn:lmskit:problem:quote-failed" || !slices.Equal(failed, want) {
		t.Fatalf("refused renewal: %+v", p)
	}
	// With an Idempotency-Key the refusal is explained the same way, and nothing is kept.
	if p2 := e.want(422, "POST", "/v1/swa/renewals", e.dist, bad, nil, "Idempotency-Key", "renew-bad").problem(t); len(p2.Reasons) != len(p.Reasons) {
		t.Fatalf("refused renewal under a key: %+v", p2)
	}
	if got := e.swaAvailable(e.dist); got != before {
		t.Fatalf("a refused renewal drew %d units", before-got)
	}

	// The co-term of both locations to March 2018: quoted, then renewed, retried with its key.
	end := date(2018, 3, 1)
	var rq httpapi.SWARenewalQuote
	e.want(200, "POST", "/v1/swa/renewal-quotes", e.dist, httpapi.SWARenewalQuoteRequest{Customer: cu.ID, End: &end}, &rq)
	var lines []string
	for _, ln := range rq.Lines {
		lines = append(lines, fmt.Sprintf("%s %s-%s %d %d", ln.Name, ln.Start.Format("2006-01-02"), ln.End.Format("2006-01-02"), ln.Months, ln.Units))
	}
	if rq.Failed != "" || rq.Units != 195 || rq.Available != before ||
		strings.Join(lines, "; ") != "SIP@Net 1 2016-04-01-2018-03-31 24 129; SIP@Net 2 2017-04-01-2018-03-31 12 66" {
		t.Fatalf("renewal quote %+v: %v", rq, lines)
	}
	renew := httpapi.SWARenewRequest{SWARenewalQuoteRequest: httpapi.SWARenewalQuoteRequest{Customer: cu.ID, End: &end}, Reference: "co-term",
		AuthorizeUnits: true}
	r1 := e.want(201, "POST", "/v1/swa/renewals", e.dist, renew, nil, "Idempotency-Key", "renew-1")
	r2 := e.want(201, "POST", "/v1/swa/renewals", e.dist, renew, nil, "Idempotency-Key", "renew-1")
	if !bytes.Equal(r1.body, r2.body) || r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("the retried renewal is not the first one")
	}
	var ren httpapi.SWAAssignment
	r1.json(t, &ren)
	if ren.Kind != "renewal" || ren.State != "active" || ren.Units != 195 || len(ren.Items) != 2 || !strings.HasSuffix(ren.Items[0].Agreement, "-R01") {
		t.Fatalf("renewal %+v", ren)
	}
	if got := e.swaAvailable(e.dist); got != before-195 || got != 610 {
		t.Fatalf("%d units available after the renewal and its retry, want 610", got)
	}
	st = httpapi.SWAStatus{}
	e.want(200, "GET", "/v1/locations/"+loc2.ID+"/swa", e.dist, nil, &st)
	if h := st.Products[0].History; len(h) < 2 || h[len(h)-1].Kind != "renewal" || !h[len(h)-1].End.Equal(date(2018, 3, 31)) {
		t.Fatalf("history %+v", st.Products[0].History)
	}
	if err := swa.CheckConservation(ctx, e.l); err != nil {
		t.Fatal(err)
	}
}

// TestSWAReservationsOverHTTP: a dealer's reservation seen by its distributor, escalated to the
// vendor's administrator, who pushes it with a reason; units reshipped from the distributor's bin.
func TestSWAReservationsOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.at(time.Date(2014, 12, 15, 9, 0, 0, 0, time.UTC))
	e.roles("ed@distx", "lms_user", "swa_distributor")
	e.roles("dealer@y", "lms_user", "swa_dealer")
	e.roles("zed@distz", "lms_user", "swa_distributor")
	exp := date(2016, 12, 31)
	var sh httpapi.Shipment
	e.want(201, "POST", "/v1/orders", e.admin, httpapi.OrderRequest{Partner: "distx", PO: "PO-U", SO: "SO-U", ExpiresAt: &exp,
		Lines: []httpapi.OrderLine{{Part: "BE112031", Quantity: 500}}}, &sh)
	// The distributor reships 200 units to its dealer.
	var ships struct{ Items []httpapi.SWAShipment }
	e.want(200, "GET", "/v1/swa/bin/shipments", e.dist, nil, &ships)
	var rs httpapi.SWAReshipment
	e.want(201, "POST", "/v1/swa/reshipments", e.dist, httpapi.SWAReshipRequest{DealerUser: "dealer@y", PO: "PO-D", SO: "SO-D",
		Picks: []httpapi.SWAUnitPick{{Shipment: ships.Items[0].ID, Quantity: 200}}}, &rs)
	if rs.To != "dealery" || len(rs.Lines) != 1 || rs.Lines[0].Quantity != 200 || !rs.Lines[0].ExpiresAt.Equal(exp) {
		t.Fatalf("reshipment %+v", rs)
	}
	var resold struct{ Items []httpapi.SWAReshipment }
	e.want(200, "GET", "/v1/swa/reshipments", e.dist, nil, &resold)
	if len(resold.Items) != 1 || resold.Items[0].ID != rs.ID {
		t.Fatalf("resold %+v", resold)
	}
	e.want(403, "POST", "/v1/swa/reshipments", e.other, httpapi.SWAReshipRequest{DealerUser: "dealer@y", PO: "X", SO: "X",
		Picks: []httpapi.SWAUnitPick{{Shipment: ships.Items[0].ID, Quantity: 1}}}, nil)
	if got := e.swaAvailable(e.dealer); got != 200 {
		t.Fatalf("dealer's units %d", got)
	}
	// The dealer's iS3000 location, activated and assigned in one step.
	var dsh httpapi.Shipment
	e.want(201, "POST", "/v1/orders", e.admin, httpapi.OrderRequest{Partner: "dealery", PO: "PO-L", SO: "SO-L", Lines: is3000Lines}, &dsh)
	var cu httpapi.Customer
	e.want(201, "POST", "/v1/customers", e.dealer, httpapi.CustomerRequest{Name: "Dealer's customer"}, &cu)
	loc := e.is3000Site(e.dealer, cu.ID, "Dealer site", "aa0014SA2792654321AA", dsh)
	var act httpapi.SWAActivated
	e.want(200, "POST", "/v1/locations/"+loc.ID+"/swa/activate", e.dealer, httpapi.SWAActivateRequest{AcceptAgreement: true,
		Assign: &httpapi.SWAAssignRequest{Choices: []httpapi.SWAChoice{{Months: 12}}, AuthorizeUnits: true}}, &act)
	id := act.Assignment.ID
	path := fmt.Sprintf("/v1/swa/assignments/%d", id)
	ids := func(token string) []uint64 {
		var res struct{ Items []httpapi.SWAAssignment }
		e.want(200, "GET", "/v1/swa/reservations", token, nil, &res)
		var out []uint64
		for _, a := range res.Items {
			out = append(out, a.ID)
		}
		return out
	}
	if d, x, a := ids(e.dealer), ids(e.dist), ids(e.admin); !slices.Equal(d, []uint64{id}) || !slices.Equal(x, []uint64{id}) || len(a) != 0 {
		t.Fatalf("reservations: dealer %v, distributor %v, administrator %v", d, x, a)
	}
	// Another distributor's view of it is exactly that of an unknown assignment.
	theirs := e.want(404, "POST", path+"/cancel", e.other, httpapi.SWAReasonRequest{}, nil)
	unknown := e.want(404, "POST", "/v1/swa/assignments/999999/cancel", e.other, httpapi.SWAReasonRequest{}, nil)
	if strings.ReplaceAll(string(theirs.body), fmt.Sprint(id), "N") != strings.ReplaceAll(string(unknown.body), "999999", "N") {
		t.Fatalf("another distributor's cancel answers differently:\n%s\n%s", theirs.body, unknown.body)
	}
	e.want(404, "POST", "/v1/swa/assignments/x/push", e.dist, httpapi.SWAReasonRequest{Reason: "r"}, nil)
	e.want(403, "POST", path+"/escalate", e.dealer, httpapi.SWAEscalationRequest{Note: "help"}, nil)
	e.want(404, "POST", path+"/push", e.admin, httpapi.SWAReasonRequest{Reason: "desk"}, nil) // not escalated yet
	var esc httpapi.SWAAssignment
	e.want(200, "POST", path+"/escalate", e.dist, httpapi.SWAEscalationRequest{Note: "customer needs it today"}, &esc)
	if !esc.Escalated || esc.EscalatedBy != "ed@distx" || esc.EscalationNote != "customer needs it today" {
		t.Fatalf("escalated %+v", esc)
	}
	if a := ids(e.admin); !slices.Equal(a, []uint64{id}) {
		t.Fatalf("the administrator sees %v", a)
	}
	e.want(422, "POST", path+"/cancel", e.admin, httpapi.SWAReasonRequest{}, nil) // the administrator gives a reason
	var pushed httpapi.SWAAssignment
	e.want(200, "POST", path+"/push", e.admin, httpapi.SWAReasonRequest{Reason: "escalated by the distributor"}, &pushed)
	if pushed.State != "active" || pushed.ClosedBy != "admin@vendor" {
		t.Fatalf("pushed %+v", pushed)
	}
	var st httpapi.SWAStatus
	e.want(200, "GET", "/v1/locations/"+loc.ID+"/swa", e.admin, nil, &st)
	if st.State != "active" {
		t.Fatalf("status %+v", st)
	}
	if err := swa.CheckConservation(ctx, e.l); err != nil {
		t.Fatal(err)
	}
}

// TestSWARefusalsOverHTTP: the book's refusals map to their problems; without a book the SWA
// routes answer 404; without an SWA role 403; a product without terms 409 swa-no-terms.
func TestSWARefusalsOverHTTP(t *testing.T) {
	e := newEnv(t)
	sh, loc := e.sv8100("PO1", "191000343919")
	e.want(201, "POST", "/v1/locations/"+loc.ID+"/attach", e.dist, httpapi.AttachRequest{Picks: allPicks(sh)}, nil)
	// No SWA role.
	if p := e.want(403, "GET", "/v1/swa/bin", e.dist, nil, nil).problem(t); p.Type != "urn:lmskit:problem:not-allowed" {
		t.Fatalf("%+v", p)
	}
	// An activation without an SWA role activates and offers nothing of SWA; with assign it is refused
	// and activates nothing.
	e.want(403, "POST", "/v1/locations/"+loc.ID+"/swa/activate", e.dist, httpapi.SWAActivateRequest{AcceptAgreement: true,
		Assign: &httpapi.SWAAssignRequest{Choices: []httpapi.SWAChoice{{Months: 12}}, AuthorizeUnits: true}}, nil)
	var view httpapi.LocationView
	e.want(200, "GET", "/v1/locations/"+loc.ID, e.dist, nil, &view)
	if len(view.ActivatedLines) != 0 {
		t.Fatal("a refused activation with assignment activated lines")
	}
	var act httpapi.SWAActivated
	e.want(200, "POST", "/v1/locations/"+loc.ID+"/swa/activate", e.dist, httpapi.SWAActivateRequest{AcceptAgreement: true}, &act)
	if act.Quote != nil || act.FreeOfCharge == nil || len(act.FreeOfCharge) != 0 || act.File.Serial != 1 {
		t.Fatalf("activated without an SWA role: %+v", act)
	}
	// SV8100 licenses have no product terms in the shipped table.
	e.roles("ed@distx", "lms_user", "swa_distributor")
	r := e.want(409, "GET", "/v1/locations/"+loc.ID+"/swa/quote", e.dist, nil, nil)
	if p := r.problem(t); p.Type != "urn:lmskit:problem:swa-no-terms" || !strings.Contains(p.Detail, "BE107573") {
		t.Fatalf("no terms: %+v", p)
	}
	// Other partners' locations are not found, exactly as unknown ones.
	unknown := "00000000-0000-4000-8000-000000000000"
	e.roles("zed@distz", "lms_user", "swa_distributor")
	for _, sub := range []string{"/swa", "/swa/quote", "/swa/free-of-charge"} {
		a := e.want(404, "GET", "/v1/locations/"+loc.ID+sub, e.other, nil, nil)
		b := e.want(404, "GET", "/v1/locations/"+unknown+sub, e.other, nil, nil)
		if strings.ReplaceAll(string(a.body), loc.ID, "L") != strings.ReplaceAll(string(b.body), unknown, "L") {
			t.Errorf("%s answers differently for another partner's location:\n%s\n%s", sub, a.body, b.body)
		}
	}
	// Malformed bodies are 400 with the field.
	r = e.want(400, "POST", "/v1/locations/"+loc.ID+"/swa/assignments", e.dist, `{"choices":[{"months":"twelve"}]}`, nil)
	if p := r.problem(t); p.Field != "choices.months" {
		t.Fatalf("%+v", p)
	}
	// Without a book every SWA route answers 404 (after authentication).
	nb := newEnv(t, func(o *httpapi.Options) { o.SWA = nil })
	if p := nb.want(404, "GET", "/v1/swa/bin", nb.dist, nil, nil).problem(t); !strings.Contains(p.Detail, "Software Assurance") {
		t.Fatalf("%+v", p)
	}
	nb.want(401, "GET", "/v1/swa/bin", "", nil, nil)
	nb.want(404, "POST", "/v1/swa/settle", nb.admin, nil, nil)
	// A book of another ledger is refused.
	if _, err := httpapi.New(httpapi.Options{Ledger: nb.l, SWA: e.book}); err == nil {
		t.Fatal("a handler took the SWA book of another ledger")
	}
	if err := entitlement.CheckConservation(ctx, e.l.Store()); err != nil {
		t.Fatal(err)
	}
}
