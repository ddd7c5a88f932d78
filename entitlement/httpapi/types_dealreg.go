package httpapi

import (
	"slices"
	"time"

	"github.com/lmskit/lmskit/entitlement/dealreg"
)

// The types of deal registrations (package entitlement/dealreg, the second vendor's "Deal
// Registration") that cross the wire, under the conventions of types.go.

// Deal is what a registration says about the deal. Every field is required: a registration that
// lacks one is refused with the names of all that are missing (problem member missing).
type Deal struct {
	Customer       string     `json:"customer" doc:"the specific customer name"`
	Project        string     `json:"project" doc:"the project name"`
	Budget         int64      `json:"budget" doc:"the project's budget in minor units of currency"`
	Currency       string     `json:"currency" doc:"ISO 4217 code, upper case"`
	Products       []string   `json:"products" doc:"the products or solutions: each in the partner's authorised products"`
	DecisionChain  []string   `json:"decision_chain" doc:"the project's decision-making chain: who decides, in order"`
	Implementation *time.Time `json:"implementation,omitempty" doc:"when the project is to be implemented (required)"`
	Region         string     `json:"region" doc:"where the deal is: in the partner's authorised regions"`
}

// DealRegistrationRequest registers a deal.
type DealRegistrationRequest struct {
	OnBehalfOf  string `json:"on_behalf_of,omitempty" doc:"the client-facing partner a distributor registers the deal for"`
	Opportunity string `json:"opportunity,omitempty" doc:"the opportunity's key; absent: the customer and project names, folded"`
	Deal        Deal   `json:"deal"`
}

// DealChange is one step of a registration's history.
type DealChange struct {
	Time time.Time `json:"time"`
	By   string    `json:"by"`
	What string    `json:"what"`
	To   string    `json:"to" enum:"submitted,returned,accepted,rejected,expired,invalid"`
}

// DealRegistration is a deal registration and what became of it.
type DealRegistration struct {
	ID             string       `json:"id" doc:"DR-<n>"`
	Partner        string       `json:"partner" doc:"the deal's partner: the client-facing partner, or a distributor registering for itself"`
	By             string       `json:"by" doc:"the partner that registered it: a distributor on the deal partner's behalf, or partner"`
	Registrant     string       `json:"registrant"`
	Deal           Deal         `json:"deal"`
	Opportunity    string       `json:"opportunity"`
	Status         string       `json:"status" enum:"submitted,returned,accepted,rejected,expired,invalid"`
	SubmittedAt    time.Time    `json:"submitted_at"`
	UpdatedAt      time.Time    `json:"updated_at" doc:"the last update of its information: an accepted registration not updated for 4 weeks becomes invalid"`
	ValidUntil     time.Time    `json:"valid_until"`
	PriceAppliedAt *time.Time   `json:"price_applied_at,omitempty"`
	NoticeSentFor  *time.Time   `json:"notice_sent_for,omitempty" doc:"the validity end the expiry notice was sent for"`
	Reason         string       `json:"reason,omitempty" doc:"of a return, rejection, expiry or invalidity"`
	History        []DealChange `json:"history"`
}

// DealProfileRequest sets a partner's deal-registration tier and authorised scope.
type DealProfileRequest struct {
	Tier     string   `json:"tier" enum:"registered,authorized,silver,gold,value_added,distributor" doc:"a distributor partner takes distributor, a dealer a client-facing tier"`
	Regions  []string `json:"regions"`
	Products []string `json:"products"`
}

// DealProfile is a partner's deal-registration profile.
type DealProfile struct {
	Partner  string   `json:"partner"`
	Tier     string   `json:"tier" enum:"registered,authorized,silver,gold,value_added,distributor"`
	Regions  []string `json:"regions"`
	Products []string `json:"products"`
}

// DealRegRolesRequest replaces a vendor user's deal-registration roles.
type DealRegRolesRequest struct {
	Roles []string `json:"roles" enum:"approver"`
}

// ExtendRequest extends an accepted registration's validity.
type ExtendRequest struct {
	ValidUntil time.Time `json:"valid_until" doc:"later than the current end"`
}

// DealSweepResult counts what a sweep changed and raised.
type DealSweepResult struct {
	Expiring int `json:"expiring" doc:"expiry notices raised"`
	Expired  int `json:"expired"`
	Invalid  int `json:"invalid"`
}

var dealRoleNames = []flagName[dealreg.Role]{{dealreg.RoleApprover, "approver"}}

var dealStatusNames = map[dealreg.Status]string{dealreg.Submitted: "submitted", dealreg.Returned: "returned", dealreg.Accepted: "accepted",
	dealreg.Rejected: "rejected", dealreg.Expired: "expired", dealreg.Invalid: "invalid"}

var tierNames = map[dealreg.Tier]string{dealreg.TierRegistered: "registered", dealreg.TierAuthorized: "authorized", dealreg.TierSilver: "silver",
	dealreg.TierGold: "gold", dealreg.TierValueAdded: "value_added", dealreg.TierDistributor: "distributor"}

func (d Deal) dealreg() dealreg.Info {
	in := dealreg.Info{Customer: d.Customer, Project: d.Project, Budget: d.Budget, Currency: d.Currency, Products: slices.Clone(d.Products),
		DecisionChain: slices.Clone(d.DecisionChain), Region: d.Region}
	if d.Implementation != nil {
		in.Implementation = d.Implementation.UTC()
	}
	return in
}

func toDeal(in dealreg.Info) Deal {
	return Deal{Customer: in.Customer, Project: in.Project, Budget: in.Budget, Currency: in.Currency, Products: nonNil(slices.Clone(in.Products)),
		DecisionChain: nonNil(slices.Clone(in.DecisionChain)), Implementation: timePtr(in.Implementation), Region: in.Region}
}

func toRegistration(r dealreg.Registration) DealRegistration {
	return DealRegistration{ID: r.ID, Partner: r.Partner, By: r.By, Registrant: r.Registrant, Deal: toDeal(r.Info), Opportunity: r.Opportunity,
		Status: dealStatusNames[r.Status], SubmittedAt: r.Submitted.UTC(), UpdatedAt: r.Updated.UTC(), ValidUntil: r.ValidUntil.UTC(),
		PriceAppliedAt: timePtr(r.PriceApplied), NoticeSentFor: timePtr(r.Noticed), Reason: r.Reason,
		History: mapSlice(r.History, func(c dealreg.Change) DealChange {
			return DealChange{Time: c.Time.UTC(), By: c.By, What: c.What, To: dealStatusNames[c.To]}
		})}
}
