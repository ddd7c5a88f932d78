package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/license"
)

func ptr[T any](v T) *T { return &v }

// location creates a customer of the token's partner and an SV8100 location of it.
func (e *env) location(token, hwkc string) httpapi.Location {
	e.t.Helper()
	var cu httpapi.Customer
	e.want(201, "POST", "/v1/customers", token, httpapi.CustomerRequest{Name: "Tons Business"}, &cu)
	var loc httpapi.Location
	e.want(201, "POST", "/v1/locations", token, httpapi.LocationRequest{Customer: cu.ID, Name: "Location A", System: "SV8100", HWKC: hwkc}, &loc)
	return loc
}

func (e *env) entitlement(token string, line uint64) httpapi.Entitlement {
	e.t.Helper()
	var d httpapi.Entitlement
	e.want(200, "GET", fmt.Sprintf("/v1/entitlements/%d", line), token, nil, &d)
	return d
}

// TestGuide_EntitlementLifecycleOverHTTP walks the entitlement basics' self-developed machine over
// HTTP: an annual-fee order (type S, its term computed) beside a permanent one, pooled (once,
// whatever the retries), unpooled, activated into a permanent and a fixed-term file in one
// download, revoked and cancelled by the license desk, each refused move answered with its
// status and the moves allowed, and the renewal and expiry notices of a fixed-term line.
func TestGuide_EntitlementLifecycleOverHTTP(t *testing.T) {
	e := newEnv(t)
	var perm httpapi.Shipment
	e.want(201, "POST", "/v1/orders", e.admin, httpapi.OrderRequest{Partner: "distx", PO: "PO-1", SO: "SO-1",
		Lines: []httpapi.OrderLine{{Part: "BE107573", Quantity: 1}}}, &perm)
	if l := perm.Lines[0]; l.Type != "T" || l.NotAfter != nil || l.Revoked != 0 || l.Cancelled != 0 {
		t.Fatalf("permanent line %+v", l)
	}
	feeReq := httpapi.AnnualFeeOrderRequest{
		OrderRequest: httpapi.OrderRequest{Partner: "distx", PO: "PO-2", SO: "SO-2", Lines: []httpapi.OrderLine{{Part: "BE107585", Quantity: 20}}},
		Fee:          httpapi.AnnualFee{Model: "05", Scenario: "01", Rule: "01", Months: 12},
		Dates:        httpapi.OrderDates{POSigned: ptr(date(2012, 12, 28))}}
	var fee httpapi.Shipment
	first := e.want(201, "POST", "/v1/orders/annual-fee", e.admin, feeReq, &fee, "Idempotency-Key", "fee-1")
	if again := e.want(201, "POST", "/v1/orders/annual-fee", e.admin, feeReq, nil, "Idempotency-Key", "fee-1"); !bytes.Equal(again.body, first.body) {
		t.Fatal("a retried annual-fee order answers differently")
	}
	sub := fee.Lines[0]
	if sub.Type != "S" || sub.NotAfter == nil || !sub.NotAfter.Equal(date(2014, 3, 28)) {
		t.Fatalf("annual-fee line %+v", sub)
	}
	var bin struct{ Items []httpapi.ShippedLine }
	if e.want(200, "GET", "/v1/bin", e.dist, nil, &bin); len(bin.Items) != 2 {
		t.Fatalf("a retried order shipped twice: bin %+v", bin.Items)
	}
	// Types are checked by the ledger, line by line.
	for _, bad := range []httpapi.OrderLine{{Part: "BE107585", Quantity: 1, Type: "Q"}, {Part: "BE107585", Quantity: 1, Type: "L"},
		{Part: "BE107585", Quantity: 1, Type: "T", NotAfter: ptr(date(2014, 1, 1))}} {
		r := e.want(422, "POST", "/v1/orders", e.admin, httpapi.OrderRequest{Partner: "distx", PO: "PO-X", SO: "SO-X", Lines: []httpapi.OrderLine{bad}}, nil)
		if p := r.problem(t); p.Type != "urn:lmskit:problem:invalid" || !strings.Contains(p.Detail, "order line 1") {
			t.Fatalf("%+v: %+v", bad, p)
		}
	}
	e.want(422, "POST", "/v1/orders/annual-fee", e.admin, httpapi.AnnualFeeOrderRequest{OrderRequest: feeReq.OrderRequest,
		Fee: httpapi.AnnualFee{Model: "05", Scenario: "01", Rule: "03", Months: 12}}, nil) // rule 03 needs the POD date
	d := e.entitlement(e.dist, sub.ID)
	if d.Type != "S" || d.TypeName == "" || !d.FixedTerm || !d.Commercial || d.Ready != 20 || d.Lines == nil || d.Fee == nil ||
		!d.Fee.Term.Provisional || !d.Fee.Term.Start.Equal(date(2013, 3, 28)) || d.Fee.ModelName != "SUS" || d.Fee.Model != "05" {
		t.Fatalf("details %+v fee %+v", d, d.Fee)
	}
	e.sameNotFound(e.other, "GET", fmt.Sprintf("/v1/entitlements/%d", sub.ID), "/v1/entitlements/999999", nil, fmt.Sprint(sub.ID), "999999")

	// Pool, retried: pooled once.
	loc := e.location(e.dist, "191000343919")
	pool := httpapi.AttachRequest{Picks: []httpapi.Pick{{Line: perm.Lines[0].ID, Quantity: 1}, {Line: sub.ID, Quantity: 8}}}
	var pooled httpapi.Lines
	p1 := e.want(201, "POST", "/v1/locations/"+loc.ID+"/delivery/pool", e.dist, pool, &pooled, "Idempotency-Key", "pool-1")
	p2 := e.want(201, "POST", "/v1/locations/"+loc.ID+"/delivery/pool", e.dist, pool, nil, "Idempotency-Key", "pool-1")
	if !bytes.Equal(p1.body, p2.body) || p2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("a retried pool answers differently")
	}
	if d := e.entitlement(e.dist, sub.ID); d.Pooled != 8 || d.Ready != 12 || len(d.Lines) != 1 || d.Lines[0].DeliveryStatus != "pooled" {
		t.Fatalf("after a retried pool: %+v", d)
	}
	subSKC, baseSKC := pooled.Lines[1].SKC, pooled.Lines[0].SKC
	if pooled.Lines[1].Type != "S" || pooled.Lines[1].NotAfter == nil || pooled.Lines[0].Type != "T" {
		t.Fatalf("pooled %+v", pooled.Lines)
	}
	e.sameNotFound(e.other, "POST", "/v1/locations/"+loc.ID+"/delivery/pool", "/v1/locations/00000000-0000-4000-8000-000000000000/delivery/pool",
		pool, loc.ID, "00000000-0000-4000-8000-000000000000")
	// Unpool and pool again.
	e.want(204, "POST", "/v1/locations/"+loc.ID+"/delivery/unpool", e.dist, httpapi.DetachRequest{SKCs: []string{subSKC}}, nil)
	if d := e.entitlement(e.dist, sub.ID); d.Ready != 20 || d.Pooled != 0 {
		t.Fatalf("after unpool: %+v", d)
	}
	e.want(201, "POST", "/v1/locations/"+loc.ID+"/delivery/pool", e.dist, httpapi.AttachRequest{Picks: []httpapi.Pick{{Line: sub.ID, Quantity: 8}}}, &pooled)
	subSKC = pooled.Lines[0].SKC

	// Activate: a permanent file and a fixed-term file in one download.
	var fi httpapi.FileInfo
	e.want(200, "POST", "/v1/locations/"+loc.ID+"/delivery/activate", e.dist, httpapi.ActivateRequest{AcceptAgreement: true}, &fi)
	if len(fi.Contents) != 2 || fi.Contents[0].Type != "" || fi.Contents[1].Type != "S" || fi.Contents[1].NotAfter == nil ||
		!fi.Contents[1].NotAfter.Equal(date(2014, 3, 28)) || fi.Name != "191000343919-svi.zip" {
		t.Fatalf("activated %+v", fi)
	}
	dl := e.want(200, "GET", fi.Download, e.dist, nil, nil)
	if files, err := license.ReadSVIZipFiles(dl.body); err != nil || len(files) != 2 {
		t.Fatalf("the download holds %d files: %v", len(files), err)
	}
	if p := e.want(406, "GET", fi.Download+"?format=armored", e.dist, nil, nil).problem(t); p.Field != "format" {
		t.Fatalf("%+v", p)
	}
	var view httpapi.LocationView
	e.want(200, "GET", "/v1/locations/"+loc.ID, e.dist, nil, &view)
	if view.File == nil || view.File.Type != "" || len(view.TermFiles) != 1 || view.TermFiles[0].Type != "S" || view.TermFiles[0].Download != fi.Download ||
		len(view.ActivatedLines) != 2 || view.EndedLines == nil {
		t.Fatalf("view %+v", view)
	}
	if d := e.entitlement(e.dist, sub.ID); d.Activated != 8 || d.Fee.Term.Provisional || !d.Fee.Term.Start.Equal(date(2012, 12, 28)) {
		t.Fatalf("after activation: %+v %+v", d, d.Fee.Term)
	}

	// Revoke: the license desk's, with a reason; refusals change nothing.
	before := e.snapshot()
	e.want(403, "POST", "/v1/locations/"+loc.ID+"/delivery/revoke", e.dist, httpapi.RevokeRequest{SKCs: []string{subSKC}, Reason: "returned"}, nil)
	e.want(422, "POST", "/v1/locations/"+loc.ID+"/delivery/revoke", e.admin, httpapi.RevokeRequest{SKCs: []string{subSKC}}, nil)
	r := e.want(409, "POST", "/v1/locations/"+loc.ID+"/delivery/unpool", e.dist, httpapi.DetachRequest{SKCs: []string{baseSKC}}, nil)
	if p := r.problem(t); p.Type != "urn:lmskit:problem:state" || p.Entitlement != baseSKC || p.DeliveryStatus != "activated" || p.Move != "unpool" ||
		strings.Join(p.AllowedMoves, ",") != "revoke" {
		t.Fatalf("unpool of an activated line: %+v", p)
	}
	if !equalSnapshots(before, e.snapshot()) {
		t.Fatal("a refused move changed the ledger")
	}
	var revoked httpapi.FileInfo
	e.want(200, "POST", "/v1/locations/"+loc.ID+"/delivery/revoke", e.admin, httpapi.RevokeRequest{SKCs: []string{subSKC}, Reason: "returned by the customer"}, &revoked)
	// Both files are issued again: the fixed-term one empty, superseding the file that granted
	// the revoked line.
	if revoked.Serial <= fi.Serial || len(revoked.Contents) != 2 || revoked.Contents[1].Type != "S" || revoked.Contents[1].Serial <= fi.Contents[1].Serial {
		t.Fatalf("revoked: %+v", revoked)
	}
	e.want(200, "GET", "/v1/locations/"+loc.ID, e.dist, nil, &view)
	if len(view.EndedLines) != 1 || view.EndedLines[0].State != "revoked" || view.EndedLines[0].EndedAt == nil || len(view.TermFiles) != 1 {
		t.Fatalf("after revocation: %+v", view)
	}
	if d := e.entitlement(e.dist, sub.ID); d.Inactive != 8 || d.Line.Revoked != 8 || d.Lines[0].DeliveryStatus != "inactive" {
		t.Fatalf("after revocation: %+v", d)
	}
	r = e.want(409, "POST", "/v1/locations/"+loc.ID+"/delivery/revoke", e.admin, httpapi.RevokeRequest{SKCs: []string{subSKC}, Reason: "again"}, nil)
	if p := r.problem(t); p.DeliveryStatus != "inactive" || p.Move != "revoke" || len(p.AllowedMoves) != 0 {
		t.Fatalf("revocation of a revoked line: %+v\n%s", p, r.body)
	}

	// Cancel pooled lines and Ready quantities: the license desk's.
	e.want(201, "POST", "/v1/locations/"+loc.ID+"/delivery/pool", e.dist, httpapi.AttachRequest{Picks: []httpapi.Pick{{Line: sub.ID, Quantity: 4}}}, &pooled)
	e.want(403, "POST", "/v1/locations/"+loc.ID+"/delivery/cancel", e.dist, httpapi.CancelLinesRequest{SKCs: []string{pooled.Lines[0].SKC}, Reason: "order cancelled"}, nil)
	e.want(204, "POST", "/v1/locations/"+loc.ID+"/delivery/cancel", e.admin, httpapi.CancelLinesRequest{SKCs: []string{pooled.Lines[0].SKC}, Reason: "order cancelled"}, nil)
	var s httpapi.ShippedLine
	e.want(200, "POST", fmt.Sprintf("/v1/entitlements/%d/cancel", sub.ID), e.admin, httpapi.CancelReadyRequest{Quantity: 3, Reason: "order cancelled"}, &s,
		"Idempotency-Key", "cancel-ready")
	e.want(200, "POST", fmt.Sprintf("/v1/entitlements/%d/cancel", sub.ID), e.admin, httpapi.CancelReadyRequest{Quantity: 3, Reason: "order cancelled"}, nil,
		"Idempotency-Key", "cancel-ready")
	if s.Cancelled != 7 || s.InBin != 5 || s.Revoked != 8 {
		t.Fatalf("after the cancellations: %+v", s)
	}
	if d := e.entitlement(e.dist, sub.ID); d.Cancelled != 7 || d.Ready != 5 {
		t.Fatalf("a retried cancellation cancelled twice: %+v", d)
	}
	e.want(409, "POST", fmt.Sprintf("/v1/entitlements/%d/cancel", sub.ID), e.admin, httpapi.CancelReadyRequest{Quantity: 6, Reason: "x"}, nil)
	e.want(403, "POST", fmt.Sprintf("/v1/entitlements/%d/cancel", sub.ID), e.dist, httpapi.CancelReadyRequest{Quantity: 1, Reason: "x"}, nil)

	// The machines' table, with the operation of this API that makes each move.
	var tr struct{ Items []httpapi.Transition }
	e.want(200, "GET", "/v1/entitlements/transitions", e.dealer, nil, &tr)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(httpapi.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	ops := map[string]bool{}
	for _, item := range doc.Paths {
		for _, op := range item {
			ops[op.OperationID] = true
		}
	}
	if len(tr.Items) != len(lifecycle.Transitions()) {
		t.Fatalf("%d transitions", len(tr.Items))
	}
	for _, x := range tr.Items {
		for _, op := range x.Operations {
			if !ops[op] {
				t.Errorf("transition %+v: no operation %s", x, op)
			}
		}
	}

	// Renewal and expiry notices of a fixed-term line (type L ending within 30 days).
	var trial httpapi.Shipment
	e.want(201, "POST", "/v1/orders", e.admin, httpapi.OrderRequest{Partner: "distx", PO: "PO-3", SO: "SO-3",
		Lines: []httpapi.OrderLine{{Part: "BE107585", Quantity: 2, Type: "L", NotAfter: ptr(date(2013, 1, 20))}}}, &trial)
	e.want(201, "POST", "/v1/locations/"+loc.ID+"/delivery/pool", e.dist, httpapi.AttachRequest{Picks: []httpapi.Pick{{Line: trial.Lines[0].ID, Quantity: 2}}}, nil)
	e.want(200, "POST", "/v1/locations/"+loc.ID+"/delivery/activate", e.dist, httpapi.ActivateRequest{AcceptAgreement: true}, nil)
	e.want(403, "POST", "/v1/entitlements/sweep", e.dist, nil, nil)
	var sw httpapi.LifecycleSweepResult
	e.want(200, "POST", "/v1/entitlements/sweep", e.admin, nil, &sw)
	if sw.Renewals != 1 || sw.Expiries != 0 {
		t.Fatalf("sweep %+v", sw)
	}
	e.at(date(2013, 1, 21))
	e.want(200, "POST", "/v1/entitlements/sweep", e.admin, httpapi.LifecycleSweepRequest{RenewalNoticeDays: 10}, &sw)
	if sw.Renewals != 0 || sw.Expiries != 1 {
		t.Fatalf("sweep %+v", sw)
	}
	e.want(422, "POST", "/v1/entitlements/sweep", e.admin, httpapi.LifecycleSweepRequest{RenewalNoticeDays: -1}, nil)
	e.conserved()
}

// TestThirdPartyOverHTTP walks the third-party machine: registered, bought, downloaded once (a
// retried download with its key gets the file again), re-applied for when lost, delivered on a
// medium with and without an electronic backup; another partner's entitlements are not found.
func TestThirdPartyOverHTTP(t *testing.T) {
	e := newEnv(t)
	reg := httpapi.ThirdPartyRequest{Partner: "distx", PO: "PO-7", SO: "SO-7", Product: "Voice mail suite", Part: "3P-VM-100", Quantity: 10}
	e.want(403, "POST", "/v1/third-party-entitlements", e.dist, reg, nil)
	var tp httpapi.ThirdPartyEntitlement
	e.want(201, "POST", "/v1/third-party-entitlements", e.admin, reg, &tp, "Idempotency-Key", "reg-1")
	e.want(201, "POST", "/v1/third-party-entitlements", e.admin, reg, nil, "Idempotency-Key", "reg-1")
	if tp.DeliveryStatus != "activation" || tp.Type != "T" || len(tp.History) != 1 || tp.History[0].Move != "register" || tp.Download != "" {
		t.Fatalf("registered %+v", tp)
	}
	var page struct {
		Items []httpapi.ThirdPartyEntitlement
	}
	if e.want(200, "GET", "/v1/third-party-entitlements", e.dist, nil, &page); len(page.Items) != 1 {
		t.Fatalf("a retried registration registered twice: %+v", page.Items)
	}
	e.sameNotFound(e.other, "GET", "/v1/third-party-entitlements/"+tp.ID, "/v1/third-party-entitlements/3P-999", nil, tp.ID, "3P-999")
	e.sameNotFound(e.other, "GET", "/v1/third-party-entitlements?partner=distx", "/v1/third-party-entitlements?partner=nobody", nil, "distx", "nobody")
	e.sameNotFound(e.other, "POST", "/v1/third-party-entitlements/"+tp.ID+"/download", "/v1/third-party-entitlements/3P-999/download", nil, tp.ID, "3P-999")

	e.want(403, "POST", "/v1/third-party-entitlements/"+tp.ID+"/start-purchase", e.dist, nil, nil)
	e.want(200, "POST", "/v1/third-party-entitlements/"+tp.ID+"/start-purchase", e.admin, nil, &tp)
	file := []byte("third-party license bytes")
	e.want(200, "POST", "/v1/third-party-entitlements/"+tp.ID+"/purchase?name=vm.lic", e.admin, file, &tp, "Content-Type", "application/octet-stream")
	if tp.DeliveryStatus != "ready_3rd" || tp.File == nil || tp.File.Name != "vm.lic" || tp.File.Size != len(file) || tp.Download == "" {
		t.Fatalf("purchased %+v", tp)
	}
	d1 := e.want(200, "POST", tp.Download, e.dist, nil, nil, "Idempotency-Key", "dl-1")
	d2 := e.want(200, "POST", tp.Download, e.dist, nil, nil, "Idempotency-Key", "dl-1")
	if !bytes.Equal(d1.body, file) || !bytes.Equal(d2.body, file) || d1.Header.Get("Content-Disposition") != "attachment; filename=vm.lic" ||
		d2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("download %q / %q %q", d1.body, d2.body, d1.Header)
	}
	r := e.want(409, "POST", tp.Download, e.dist, nil, nil)
	if p := r.problem(t); p.DeliveryStatus != "closed_3rd" || p.Move != "download" || strings.Join(p.AllowedMoves, ",") != "reapply_lost" || p.Entitlement != tp.ID {
		t.Fatalf("a second download: %+v", p)
	}
	e.want(422, "POST", "/v1/third-party-entitlements/"+tp.ID+"/reapply", e.dist, httpapi.ReasonRequest{}, nil)
	e.want(200, "POST", "/v1/third-party-entitlements/"+tp.ID+"/reapply", e.dist, httpapi.ReasonRequest{Reason: "disk failure"}, &tp)
	if tp.DeliveryStatus != "in_purchase_3rd" || tp.File != nil || tp.Reapplied != 1 {
		t.Fatalf("re-applied %+v", tp)
	}
	// On a medium without a backup: nothing to download, a final status.
	e.want(200, "POST", "/v1/third-party-entitlements/"+tp.ID+"/medium-delivery", e.admin, nil, &tp)
	if tp.DeliveryStatus != "medium_delivery_n_3rd" || tp.Download != "" {
		t.Fatalf("medium %+v", tp)
	}
	// With a backup: downloadable.
	var tp2 httpapi.ThirdPartyEntitlement
	e.want(201, "POST", "/v1/third-party-entitlements", e.admin, httpapi.ThirdPartyRequest{Partner: "distx", PO: "PO-8", SO: "SO-8", Product: "Recorder",
		Part: "3P-REC", Quantity: 1, Type: "L", NotAfter: ptr(date(2014, 1, 1))}, &tp2)
	e.want(200, "POST", "/v1/third-party-entitlements/"+tp2.ID+"/start-purchase", e.admin, nil, nil)
	e.want(200, "POST", "/v1/third-party-entitlements/"+tp2.ID+"/medium-delivery?backup_name=rec.zip", e.admin, []byte("PK backup"), &tp2,
		"Content-Type", "application/octet-stream")
	if tp2.DeliveryStatus != "medium_delivery_e_3rd" || tp2.Type != "L" || tp2.NotAfter == nil || tp2.Download == "" {
		t.Fatalf("medium with backup %+v", tp2)
	}
	if dl := e.want(200, "POST", tp2.Download, e.dist, nil, nil); dl.Header.Get("Content-Type") != "application/zip" || string(dl.body) != "PK backup" {
		t.Fatalf("backup download %q %q", dl.Header.Get("Content-Type"), dl.body)
	}
	e.want(200, "GET", "/v1/third-party-entitlements?partner=distx", e.admin, nil, &page)
	if len(page.Items) != 2 || page.Items[0].ID != tp.ID || page.Items[1].History[len(page.Items[1].History)-1].To != "closed_3rd" {
		t.Fatalf("list %+v", page.Items)
	}
	e.conserved()
}

// equalSnapshots reports whether two ledger snapshots hold the same keys and values.
func equalSnapshots(a, b map[string]map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, m := range a {
		n := b[k]
		if len(m) != len(n) {
			return false
		}
		for kk, v := range m {
			if n[kk] != v {
				return false
			}
		}
	}
	return true
}

// TestFeeTermOverHTTP: the annual-fee term is computed as shipping computes it, and a rule
// without its date is refused naming it.
func TestFeeTermOverHTTP(t *testing.T) {
	e := newEnv(t)
	var term httpapi.FeeTerm
	e.want(200, "POST", "/v1/annual-fee-terms", e.dealer, httpapi.FeeTermRequest{Fee: httpapi.AnnualFee{Model: "05", Scenario: "01", Rule: "02", Months: 12},
		Dates: httpapi.OrderDates{POSigned: ptr(date(2013, 1, 31))}}, &term)
	if !term.Start.Equal(date(2013, 1, 31)) || !term.End.Equal(date(2014, 1, 31)) || term.Provisional || term.Permanent {
		t.Fatalf("term %+v", term)
	}
	e.want(200, "POST", "/v1/annual-fee-terms", e.dealer, httpapi.FeeTermRequest{Fee: httpapi.AnnualFee{Model: "01", Scenario: "01", Rule: "01", Months: 12},
		Dates: httpapi.OrderDates{POSigned: ptr(date(2013, 1, 31))}}, &term)
	if !term.Provisional || !term.Permanent || !term.Start.Equal(date(2013, 5, 1)) {
		t.Fatalf("provisional permanent term %+v", term)
	}
	r := e.want(422, "POST", "/v1/annual-fee-terms", e.dealer, httpapi.FeeTermRequest{Fee: httpapi.AnnualFee{Model: "05", Scenario: "01", Rule: "04", Months: 12}}, nil)
	if p := r.problem(t); !strings.Contains(p.Detail, "PAC") {
		t.Fatalf("%+v", p)
	}
	e.want(401, "POST", "/v1/annual-fee-terms", "", httpapi.FeeTermRequest{}, nil)
}
