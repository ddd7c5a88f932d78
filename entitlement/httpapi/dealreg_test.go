package httpapi_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement/dealreg"
	"github.com/lmskit/lmskit/entitlement/httpapi"
)

// crm is the vendor's pipeline as a test sets it: the opportunities its account managers have,
// and whether it answers at all.
type crm struct {
	mu   sync.Mutex
	opps []string
	down bool
}

func (c *crm) setDown(down bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down = down
}

func (c *crm) InPipeline(_ context.Context, r dealreg.Registration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return false, errors.New("crm.internal:8443 refused the connection")
	}
	return slices.Contains(c.opps, r.Opportunity), nil
}

func deal(customer, project string) httpapi.Deal {
	return httpapi.Deal{Customer: customer, Project: project, Budget: 25_000_00, Currency: "EUR", Products: []string{"SV9500"},
		DecisionChain: []string{"CIO", "CFO"}, Implementation: ptr(date(2013, 9, 1)), Region: "EU-West"}
}

// TestGuide_DealRegistrationOverHTTP walks "Deal Registration" over HTTP: profiles and the
// approver's role, an incomplete registration refused with every missing field, a complete one
// (retried: registered once), one on a dealer's behalf by its distributor, acceptance (one per
// opportunity, never a deal in the vendor's pipeline), the 15-day price application, return and
// update, extension, rejection, the sweep; another partner's registrations are not found.
func TestGuide_DealRegistrationOverHTTP(t *testing.T) {
	pipe := &crm{opps: []string{"acme / pipeline project"}}
	e := newEnv(t, func(o *httpapi.Options) { o.DealReg = &dealreg.Policy{Pipeline: pipe} })
	approver := e.staff("desk@vendor")["desk@vendor"]
	e.want(403, "PUT", "/v1/partners/dealery/deal-profile", e.dist, httpapi.DealProfileRequest{Tier: "silver"}, nil)
	var prof httpapi.DealProfile
	e.want(200, "PUT", "/v1/partners/dealery/deal-profile", e.admin, httpapi.DealProfileRequest{Tier: "silver", Regions: []string{"EU-West"},
		Products: []string{"SV9500", "SV8100"}}, &prof)
	if prof.Partner != "dealery" || prof.Tier != "silver" || len(prof.Regions) != 1 {
		t.Fatalf("profile %+v", prof)
	}
	if p := e.want(422, "PUT", "/v1/partners/distx/deal-profile", e.admin, httpapi.DealProfileRequest{Tier: "platinum"}, nil).problem(t); p.Field != "tier" {
		t.Fatalf("%+v", p)
	}
	e.want(200, "PUT", "/v1/partners/distx/deal-profile", e.admin, httpapi.DealProfileRequest{Tier: "distributor", Regions: []string{"EU-West"},
		Products: []string{"SV9500"}}, nil)
	e.want(200, "PUT", "/v1/users/desk@vendor/deal-registration-roles", e.admin, httpapi.DealRegRolesRequest{Roles: []string{"approver"}}, nil)

	// Incomplete: every missing field, by its request name; nothing registered.
	before := e.snapshot()
	r := e.want(422, "POST", "/v1/deal-registrations", e.dealer, httpapi.DealRegistrationRequest{Deal: httpapi.Deal{Customer: "Acme"}}, nil)
	p := r.problem(t)
	want := []string{"deal.project", "deal.budget", "deal.products", "deal.decision_chain", "deal.implementation", "deal.region"}
	if p.Type != "urn:lmskit:problem:invalid" || strings.Join(p.Missing, ",") != strings.Join(want, ",") {
		t.Fatalf("incomplete: %+v", p)
	}
	// Outside the scope, and a distributor registering for itself: not allowed.
	outside := deal("Acme", "Phones")
	outside.Region = "APAC"
	e.want(403, "POST", "/v1/deal-registrations", e.dealer, httpapi.DealRegistrationRequest{Deal: outside}, nil)
	e.want(403, "POST", "/v1/deal-registrations", e.dist, httpapi.DealRegistrationRequest{Deal: deal("Acme", "Phones")}, nil)
	e.want(403, "POST", "/v1/deal-registrations", e.other, httpapi.DealRegistrationRequest{Deal: deal("Acme", "Phones")}, nil) // no profile
	if !equalSnapshots(before, e.snapshot()) {
		t.Fatal("a refused registration changed the ledger")
	}

	// Complete, retried with its key: registered once.
	req := httpapi.DealRegistrationRequest{Deal: deal("Acme", "Phones")}
	var dr httpapi.DealRegistration
	e.want(201, "POST", "/v1/deal-registrations", e.dealer, req, &dr, "Idempotency-Key", "dr-1")
	e.want(201, "POST", "/v1/deal-registrations", e.dealer, req, nil, "Idempotency-Key", "dr-1")
	if dr.ID != "DR-1" || dr.Status != "submitted" || dr.Partner != "dealery" || dr.By != "dealery" || dr.Opportunity != "acme / phones" ||
		!dr.ValidUntil.Equal(dr.SubmittedAt.AddDate(0, 6, 0)) || len(dr.History) != 1 || dr.Deal.Implementation == nil {
		t.Fatalf("registered %+v", dr)
	}
	var list struct{ Items []httpapi.DealRegistration }
	if e.want(200, "GET", "/v1/deal-registrations", e.dealer, nil, &list); len(list.Items) != 1 {
		t.Fatalf("a retried registration registered %d times", len(list.Items))
	}
	// The distributor on the dealer's behalf: the same opportunity, another registration.
	var onBehalf httpapi.DealRegistration
	e.want(201, "POST", "/v1/deal-registrations", e.dist, httpapi.DealRegistrationRequest{OnBehalfOf: "dealery", Deal: deal("ACME", "phones")}, &onBehalf)
	if onBehalf.Partner != "dealery" || onBehalf.By != "distx" || onBehalf.Opportunity != dr.Opportunity {
		t.Fatalf("on behalf %+v", onBehalf)
	}

	// Scope: another partner's registrations are not found, as unknown ones.
	e.sameNotFound(e.other, "GET", "/v1/deal-registrations/DR-1", "/v1/deal-registrations/DR-999", nil, "DR-1", "DR-999")
	e.sameNotFound(e.other, "GET", "/v1/deal-registrations?partner=dealery", "/v1/deal-registrations?partner=nobody", nil, "dealery", "nobody")
	e.sameNotFound(e.other, "PUT", "/v1/deal-registrations/DR-1/deal", "/v1/deal-registrations/DR-999/deal", deal("Acme", "Phones"), "DR-1", "DR-999")
	e.sameNotFound(e.other, "POST", "/v1/deal-registrations/DR-1/price-application", "/v1/deal-registrations/DR-999/price-application", nil, "DR-1", "DR-999")

	// The price application comes 15 days after the registration at least.
	r = e.want(409, "POST", "/v1/deal-registrations/DR-1/price-application", e.dealer, nil, nil)
	if p := r.problem(t); p.Type != "urn:lmskit:problem:too-early" {
		t.Fatalf("early price application: %+v", p)
	}
	// Acceptance is the approver's; one per opportunity.
	e.want(403, "POST", "/v1/deal-registrations/DR-1/accept", e.admin, nil, nil) // the administrator is no approver by being one
	pipe.setDown(true)
	r = e.want(409, "POST", "/v1/deal-registrations/DR-1/accept", approver, nil, nil)
	if p := r.problem(t); strings.Contains(p.Detail, "crm.internal") || !strings.Contains(e.logs.String(), "crm.internal:8443 refused") {
		t.Fatalf("the pipeline's error reaches the client, or not the log: %+v", p)
	}
	pipe.setDown(false)
	e.want(200, "POST", "/v1/deal-registrations/DR-1/accept", approver, nil, &dr, "Idempotency-Key", "acc-1")
	e.want(200, "POST", "/v1/deal-registrations/DR-1/accept", approver, nil, nil, "Idempotency-Key", "acc-1")
	if dr.Status != "accepted" {
		t.Fatalf("accepted %+v", dr)
	}
	e.want(409, "POST", "/v1/deal-registrations/"+onBehalf.ID+"/accept", approver, nil, nil) // the opportunity is taken
	e.want(409, "POST", "/v1/deal-registrations", e.dealer, req, nil)                        // so is a new registration of it
	// A deal in the vendor's pipeline is not accepted.
	var inPipe httpapi.DealRegistration
	e.want(201, "POST", "/v1/deal-registrations", e.dealer, httpapi.DealRegistrationRequest{Deal: deal("Acme", "Pipeline project")}, &inPipe)
	if p := e.want(409, "POST", "/v1/deal-registrations/"+inPipe.ID+"/accept", approver, nil, nil).problem(t); !strings.Contains(p.Detail, "pipeline") {
		t.Fatalf("%+v", p)
	}
	// Return for supplement, update, reject.
	e.want(200, "POST", "/v1/deal-registrations/"+inPipe.ID+"/return", approver, httpapi.ReasonRequest{Reason: "add the decision makers"}, &inPipe)
	if inPipe.Status != "returned" || inPipe.Reason != "add the decision makers" {
		t.Fatalf("returned %+v", inPipe)
	}
	upd := deal("Acme", "Pipeline project")
	upd.DecisionChain = append(upd.DecisionChain, "CEO")
	e.want(200, "PUT", "/v1/deal-registrations/"+inPipe.ID+"/deal", e.dealer, upd, &inPipe)
	if inPipe.Status != "submitted" || len(inPipe.Deal.DecisionChain) != 3 {
		t.Fatalf("supplemented %+v", inPipe)
	}
	e.want(200, "POST", "/v1/deal-registrations/"+inPipe.ID+"/reject", approver, httpapi.ReasonRequest{Reason: "the vendor's own deal"}, &inPipe)
	if inPipe.Status != "rejected" {
		t.Fatalf("rejected %+v", inPipe)
	}
	// 15 days on: the price application; an extension; the sweep.
	e.at(e.clock.Now().Add(15 * 24 * time.Hour))
	e.want(200, "POST", "/v1/deal-registrations/DR-1/price-application", e.dealer, nil, &dr)
	if dr.PriceAppliedAt == nil {
		t.Fatalf("price application %+v", dr)
	}
	e.want(403, "POST", "/v1/deal-registrations/DR-1/extend", e.dealer, httpapi.ExtendRequest{ValidUntil: dr.ValidUntil.AddDate(0, 3, 0)}, nil)
	e.want(200, "POST", "/v1/deal-registrations/DR-1/extend", approver, httpapi.ExtendRequest{ValidUntil: dr.ValidUntil.AddDate(0, 3, 0)}, &dr)
	e.want(403, "POST", "/v1/deal-registrations/sweep", e.dealer, nil, nil)
	var sw httpapi.DealSweepResult
	e.want(200, "POST", "/v1/deal-registrations/sweep", e.admin, nil, &sw)
	if sw.Expired != 0 || sw.Invalid != 0 {
		t.Fatalf("sweep %+v", sw)
	}
	e.at(e.clock.Now().Add(29 * 24 * time.Hour)) // no update for 4 weeks: invalid
	e.want(200, "POST", "/v1/deal-registrations/sweep", e.admin, nil, &sw)
	e.want(200, "GET", "/v1/deal-registrations/DR-1", e.dealer, nil, &dr)
	if sw.Invalid != 1 || dr.Status != "invalid" {
		t.Fatalf("sweep %+v, DR-1 %+v", sw, dr)
	}
	e.want(200, "GET", "/v1/deal-registrations?partner=dealery", approver, nil, &list)
	if len(list.Items) != 3 {
		t.Fatalf("approver's list %+v", list.Items)
	}
	e.conserved()
}
