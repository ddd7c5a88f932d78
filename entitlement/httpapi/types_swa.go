package httpapi

import (
	"slices"
	"time"

	"github.com/lmskit/lmskit/swa"
)

// The Software Assurance types that cross the wire (package swa), under the same conventions as
// types.go. A day (a term's start or end, an expiry) is midnight UTC of that day in RFC 3339.

// SWABin is the totals of the caller's partner's SWA units bin ("SWA Units (UnAllocated /
// Allocated / Available)"); its shipments are listed at /v1/swa/bin/shipments.
type SWABin struct {
	Unallocated int64 `json:"unallocated" doc:"units of the bin's shipments that no assignment holds"`
	Allocated   int64 `json:"allocated" doc:"units held by assignments in their cooling-off period (returned if cancelled)"`
	Available   int64 `json:"available" doc:"what a quote may draw now (equals unallocated)"`
	Shipments   int   `json:"shipments" doc:"shipments in the bin: not expired, with units available"`
}

// SWAShipment is one shipment of SWA units: a vendor's order line or a distributor's reshipment.
// shipped = available + pending + consumed + reshipped_out + expired.
type SWAShipment struct {
	ID             uint64    `json:"id"`
	Partner        string    `json:"partner"`
	PO             string    `json:"po"`
	SO             string    `json:"so"`
	Part           string    `json:"part"`
	Shipped        int64     `json:"shipped"`
	Available      int64     `json:"available"`
	Pending        int64     `json:"pending" doc:"held by assignments in their cooling-off period"`
	Consumed       int64     `json:"consumed" doc:"paid for agreements"`
	ReshippedOut   int64     `json:"reshipped_out"`
	Expired        int64     `json:"expired" doc:"still available when the shipment expired"`
	ExpiresAt      time.Time `json:"expires_at"`
	ShippedAt      time.Time `json:"shipped_at"`
	ParentShipment uint64    `json:"parent_shipment,omitempty" doc:"the distributor's shipment a reshipment came from"`
}

// SWAUnitPick selects units of one shipment of the caller's units bin.
type SWAUnitPick struct {
	Shipment uint64 `json:"shipment"`
	Quantity int64  `json:"quantity"`
}

// SWAReshipRequest reships SWA units to a dealer's user ("New Shipment Order").
type SWAReshipRequest struct {
	DealerUser string        `json:"dealer_user"`
	PO         string        `json:"po"`
	SO         string        `json:"so"`
	Picks      []SWAUnitPick `json:"picks"`
}

// SWAReshippedUnits is the units of one shipment in a reshipment.
type SWAReshippedUnits struct {
	FromShipment uint64    `json:"from_shipment"`
	ToShipment   uint64    `json:"to_shipment"`
	Quantity     int64     `json:"quantity"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// SWAReshipment is a distributor's reshipment of SWA units into a dealer's units bin.
type SWAReshipment struct {
	ID     uint64              `json:"id"`
	From   string              `json:"from"`
	To     string              `json:"to"`
	ToUser string              `json:"to_user"`
	PO     string              `json:"po"`
	SO     string              `json:"so"`
	Lines  []SWAReshippedUnits `json:"lines"`
	Time   time.Time           `json:"time"`
	By     string              `json:"by"`
}

// SWAProspect is a location in grace without SWA ("Prospective Software Assurance Locations").
type SWAProspect struct {
	Customer       string    `json:"customer"`
	CustomerName   string    `json:"customer_name"`
	Location       string    `json:"location"`
	Name           string    `json:"name"`
	HWKC           string    `json:"hwkc"`
	System         string    `json:"system"`
	FirstActivated time.Time `json:"first_activated" doc:"of its product whose grace ends first"`
	GraceEnd       time.Time `json:"grace_end" doc:"the last day of that grace"`
	Products       []string  `json:"products" doc:"its products in grace without SWA"`
}

// SWATerm is the units one term costs.
type SWATerm struct {
	Months int   `json:"months"`
	Units  int64 `json:"units"`
}

// SWATable is one unit table of a product.
type SWATable struct {
	ActivatedBefore    *time.Time `json:"activated_before,omitempty" doc:"the table is for locations whose product was first activated before this day; absent: every other location"`
	EndDateChoice      bool       `json:"end_date_choice" doc:"an assignment may choose its end day instead of a term"`
	MinMonths          int        `json:"min_months,omitempty" doc:"the shortest end-date choice"`
	WaiveReinstatement bool       `json:"waive_reinstatement"`
	Terms              []SWATerm  `json:"terms"`
}

// SWAProduct is one product of the book's product terms table.
type SWAProduct struct {
	Name             string     `json:"name" doc:"the key of the product's agreements (SV8300, iS3000)"`
	Application      string     `json:"application" doc:"the name the quote shows"`
	Code             string     `json:"code" doc:"the two characters its agreement numbers carry"`
	Systems          []string   `json:"systems"`
	Parts            []string   `json:"parts" doc:"when not empty, the only parts the product covers"`
	RenewalMaxMonths int        `json:"renewal_max_months"`
	Tables           []SWATable `json:"tables"`
}

// SWAOption is one term of a quote.
type SWAOption struct {
	Months int       `json:"months" doc:"0: activate SWA later"`
	Units  int64     `json:"units"`
	End    time.Time `json:"end" doc:"the agreement's last day"`
	Total  int64     `json:"total" doc:"units plus the reinstatement fee unless waived"`
}

// SWAReinstatement is the reinstatement fee of a location past grace or with a lapsed agreement.
type SWAReinstatement struct {
	Months int        `json:"months" doc:"lapsed months, every month begun"`
	Units  int64      `json:"units"`
	Since  *time.Time `json:"since,omitempty" doc:"the first day without grace or agreement"`
	Waived bool       `json:"waived"`
}

// SWAProductQuote is one product of a quote.
type SWAProductQuote struct {
	Product       string           `json:"product"`
	Application   string           `json:"application"`
	State         string           `json:"state" enum:"none,grace,pending,active,expired,renewable"`
	Start         *time.Time       `json:"start,omitempty" doc:"the day an agreement assigned now starts"`
	Options       []SWAOption      `json:"options" doc:"the terms on offer, shortest first, ending with months 0 (activate later); empty when the product is not quotable now"`
	Reinstatement SWAReinstatement `json:"reinstatement"`
	EndDateChoice bool             `json:"end_date_choice" doc:"an end day between min_end and max_end may be chosen instead of a term"`
	MinEnd        *time.Time       `json:"min_end,omitempty"`
	MaxEnd        *time.Time       `json:"max_end,omitempty"`
}

// SWAQuote is the guide's "Quote Information" for a location.
type SWAQuote struct {
	Location  string            `json:"location"`
	Customer  string            `json:"customer"`
	Name      string            `json:"name"`
	HWKC      string            `json:"hwkc"`
	At        time.Time         `json:"at"`
	Available int64             `json:"available" doc:"SWA units available in the bin"`
	Products  []SWAProductQuote `json:"products"`
}

// SWAChoice is what an assignment takes for one product: a quoted term, or an end day where the
// quote offers the end-date choice.
type SWAChoice struct {
	Product string     `json:"product,omitempty" doc:"may be absent when the location has one product"`
	Months  int        `json:"months,omitempty" doc:"a quoted term; 0 without end: activate SWA later (the product is left out)"`
	End     *time.Time `json:"end,omitempty" doc:"the chosen last day, where the quote offers end_date_choice"`
}

// SWAAssignRequest is the guide's quote form: the choices, a reference and the checkbox.
type SWAAssignRequest struct {
	Choices        []SWAChoice `json:"choices"`
	Reference      string      `json:"reference,omitempty"`
	AuthorizeUnits bool        `json:"authorize_units" doc:"must be true: the units are drawn from the SWA units bin"`
}

// SWAItem is one agreement an assignment pays for: one product of one location for one term.
type SWAItem struct {
	Location            string    `json:"location"`
	Product             string    `json:"product"`
	Months              int       `json:"months"`
	Start               time.Time `json:"start"`
	End                 time.Time `json:"end"`
	Units               int64     `json:"units"`
	Reinstatement       int64     `json:"reinstatement" doc:"the reinstatement fee's units (0: none or waived)"`
	ReinstatementMonths int       `json:"reinstatement_months"`
	Agreement           string    `json:"agreement,omitempty" doc:"the agreement number, once in force"`
}

// SWADraw is units an assignment took from one shipment.
type SWADraw struct {
	Shipment uint64 `json:"shipment"`
	Quantity int64  `json:"quantity"`
}

// SWAAssignment is units drawn for agreements: an assignment to one location (a reservation while
// it is pending) or a renewal of one or more locations of a customer.
type SWAAssignment struct {
	ID             uint64     `json:"id"`
	Kind           string     `json:"kind" enum:"assignment,renewal"`
	State          string     `json:"state" enum:"pending,active,cancelled"`
	Partner        string     `json:"partner"`
	Customer       string     `json:"customer"`
	Location       string     `json:"location,omitempty" doc:"the location of an assignment"`
	Items          []SWAItem  `json:"items"`
	Units          int64      `json:"units" doc:"every unit drawn, reinstatement fees included"`
	Reference      string     `json:"reference,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	By             string     `json:"by"`
	DueAt          *time.Time `json:"due_at,omitempty" doc:"when a pending assignment comes into force by itself"`
	Draws          []SWADraw  `json:"draws"`
	ClosedAt       *time.Time `json:"closed_at,omitempty" doc:"when it was settled, pushed or cancelled"`
	ClosedBy       string     `json:"closed_by,omitempty" doc:"who pushed or cancelled it; absent when it settled by itself"`
	Reason         string     `json:"reason,omitempty"`
	Pushed         bool       `json:"pushed"`
	Escalated      bool       `json:"escalated"`
	EscalatedBy    string     `json:"escalated_by,omitempty"`
	EscalationNote string     `json:"escalation_note,omitempty"`
}

// SWAReasonRequest gives the reason of a push ("A reason is required for documentation
// purpose") or a cancellation.
type SWAReasonRequest struct {
	Reason string `json:"reason,omitempty" doc:"required to push, and for the administrator to cancel"`
}

// SWAEscalationRequest escalates a dealer's reservation to the vendor's administrator.
type SWAEscalationRequest struct {
	Note string `json:"note,omitempty"`
}

// SWASettleReport is what a settle run did.
type SWASettleReport struct {
	Activated    []string `json:"activated" doc:"agreement numbers that came into force because a cooling-off ended"`
	ExpiredUnits int64    `json:"expired_units" doc:"units of shipments that expired with units available"`
	Expiring     int      `json:"expiring" doc:"agreements that entered their renewal window (administrator only)"`
	Expired      int      `json:"expired" doc:"agreements that lapsed (administrator only)"`
}

// SWAPeriod is one line of an agreement's history.
type SWAPeriod struct {
	Kind       string    `json:"kind" enum:"grace,new,reinstated,renewal"`
	Agreement  string    `json:"agreement"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Months     int       `json:"months"`
	Units      int64     `json:"units" doc:"reinstatement fee included"`
	Reference  string    `json:"reference,omitempty"`
	At         time.Time `json:"at" doc:"when it came into force"`
	Assignment uint64    `json:"assignment,omitempty" doc:"the assignment or renewal that paid for it"`
}

// SWAProductStatus is one product's line: name, agreement number, state and expiry.
type SWAProductStatus struct {
	Product     string      `json:"product"`
	Application string      `json:"application"`
	State       string      `json:"state" enum:"none,grace,pending,active,expired,renewable"`
	Agreement   string      `json:"agreement,omitempty" doc:"the grace agreement (suffix W) before any other, then N or Rnn"`
	ExpiresAt   *time.Time  `json:"expires_at,omitempty" doc:"the agreement's last day (the grace end for W)"`
	GraceStart  *time.Time  `json:"grace_start,omitempty" doc:"the first activation"`
	GraceEnd    *time.Time  `json:"grace_end,omitempty"`
	Start       *time.Time  `json:"start,omitempty" doc:"the first day of the current term"`
	History     []SWAPeriod `json:"history"`
}

// SWAMigration is a migration of the location's system that the ledger recorded.
type SWAMigration struct {
	Order string    `json:"order"`
	At    time.Time `json:"at"`
	Lines int       `json:"lines"`
}

// SWAStatus is a location's Software Assurance status.
type SWAStatus struct {
	Location        string             `json:"location"`
	Customer        string             `json:"customer"`
	Name            string             `json:"name"`
	HWKC            string             `json:"hwkc"`
	System          string             `json:"system"`
	State           string             `json:"state" enum:"none,grace,pending,active,expired,renewable"`
	Products        []SWAProductStatus `json:"products"`
	Pending         *SWAAssignment     `json:"pending,omitempty" doc:"the assignment in its cooling-off period"`
	TimeLeftSeconds int64              `json:"time_left_seconds" doc:"what is left of the cooling-off period"`
	Migrations      []SWAMigration     `json:"migrations"`
	NoTerms         []string           `json:"no_terms" doc:"SWA-eligible licenses without product terms: they cannot be quoted"`
}

// SWARenewalQuoteRequest asks for a renewal quote: per location, or co-terming a customer's
// locations (all of them, or a chosen subset) to one end month.
type SWARenewalQuoteRequest struct {
	Customer  string     `json:"customer,omitempty" doc:"the customer; may be absent when locations names them"`
	Locations []string   `json:"locations,omitempty" doc:"the locations to renew; absent or empty: every location of the customer with an agreement"`
	Start     *time.Time `json:"start,omitempty" doc:"the renewal activation moment; absent: now"`
	End       *time.Time `json:"end,omitempty" doc:"the desired end month: every agreement ends on its last day (the co-term)"`
	Months    int        `json:"months,omitempty" doc:"without end, each agreement renews for this many months; 0 or absent: 12"`
}

// SWARenewRequest renews what a renewal quote quoted.
type SWARenewRequest struct {
	SWARenewalQuoteRequest
	Reference      string `json:"reference,omitempty"`
	AuthorizeUnits bool   `json:"authorize_units" doc:"must be true: the units are drawn from the SWA units bin"`
}

// SWARenewalLine is one agreement of a renewal quote.
type SWARenewalLine struct {
	Location      string           `json:"location"`
	Name          string           `json:"name"`
	HWKC          string           `json:"hwkc"`
	Product       string           `json:"product"`
	Application   string           `json:"application"`
	Agreement     string           `json:"agreement" doc:"the agreement in force or lapsed, before renewal"`
	Start         *time.Time       `json:"start,omitempty" doc:"the renewal's first day"`
	End           *time.Time       `json:"end,omitempty" doc:"the renewal's last day"`
	Months        int              `json:"months"`
	Units         int64            `json:"units"`
	Reinstatement SWAReinstatement `json:"reinstatement"`
	Total         int64            `json:"total" doc:"units with the reinstatement fee; 0 for a failed line"`
	Failed        string           `json:"failed,omitempty" doc:"why the line's quote failed, as the guide words it"`
	FailedDetail  string           `json:"failed_detail,omitempty"`
}

// SWARenewalQuote is the renewal page.
type SWARenewalQuote struct {
	Customer  string           `json:"customer"`
	At        time.Time        `json:"at"`
	Start     time.Time        `json:"start" doc:"the renewal activation moment"`
	Lines     []SWARenewalLine `json:"lines"`
	Units     int64            `json:"units" doc:"the total of the lines that did not fail"`
	Available int64            `json:"available" doc:"SWA units available in the bin"`
	Failed    string           `json:"failed,omitempty" doc:"why the renewal as a whole cannot proceed"`
}

// SWAOffer is an upgrade license a location may attach free of charge.
type SWAOffer struct {
	Part     string `json:"part"`
	Name     string `json:"name"`
	Quantity int64  `json:"quantity"`
	Replaces string `json:"replaces,omitempty" doc:"the part it succeeds in the catalog"`
}

// SWAFreeOfChargeRequest claims offered upgrade licenses.
type SWAFreeOfChargeRequest struct {
	Parts           []string `json:"parts"`
	AcceptAgreement bool     `json:"accept_agreement" doc:"must be true: the licenses are activated in the same step"`
}

// SWAFreeOfChargeResult is what a free-of-charge claim did.
type SWAFreeOfChargeResult struct {
	PO     string        `json:"po" doc:"the generated purchase order (SA…)"`
	SO     string        `json:"so" doc:"the generated sales order (CO…)"`
	Lines  []Line        `json:"lines" doc:"the lines on the location, activated"`
	File   FileInfo      `json:"file" doc:"the re-issued license file"`
	Offers []SWAOffer    `json:"offers" doc:"what was attached"`
	Order  []ShippedLine `json:"order" doc:"the free-of-charge order in the license bin, fully activated"`
}

// SWAActivateRequest activates a location's attached lines and, optionally, assigns SWA in the
// same step.
type SWAActivateRequest struct {
	SKCs            []string          `json:"skcs,omitempty" doc:"the lines to activate; absent means every attached line"`
	AcceptAgreement bool              `json:"accept_agreement" doc:"must be true: licenses once activated cannot be deactivated or returned"`
	Assign          *SWAAssignRequest `json:"assign,omitempty" doc:"assign SWA units in the same transaction: if refused, nothing is activated"`
}

// SWAActivated is the file with what the guide's quote pop-up shows next.
type SWAActivated struct {
	File         FileInfo       `json:"file"`
	Quote        *SWAQuote      `json:"quote,omitempty" doc:"for a user with an SWA role whose every SWA-eligible license has product terms"`
	Assignment   *SWAAssignment `json:"assignment,omitempty" doc:"the assignment made in the same step"`
	FreeOfCharge []SWAOffer     `json:"free_of_charge" doc:"upgrade licenses the location may now attach free of charge"`
}

// QuoteReason is why a renewal's quote failed: for one agreement, or (without location) for the
// renewal as a whole.
type QuoteReason struct {
	Location  string `json:"location,omitempty"`
	Product   string `json:"product,omitempty"`
	Agreement string `json:"agreement,omitempty"`
	Reason    string `json:"reason" doc:"the guide's wording"`
	Detail    string `json:"detail,omitempty"`
}

// Conversions from package swa.

func day(t time.Time) *time.Time { return timePtr(t) }

func toSWAShipment(s swa.Shipment) SWAShipment {
	return SWAShipment{ID: s.ID, Partner: s.Partner, PO: s.PO, SO: s.SO, Part: s.Part, Shipped: s.Shipped, Available: s.Available,
		Pending: s.Pending, Consumed: s.Consumed, ReshippedOut: s.ReshippedOut, Expired: s.Expired, ExpiresAt: s.Expires.UTC(),
		ShippedAt: s.ShippedAt.UTC(), ParentShipment: s.Parent}
}

func toSWAReshipment(r swa.Reshipment) SWAReshipment {
	return SWAReshipment{ID: r.ID, From: r.From, To: r.To, ToUser: r.ToUser, PO: r.PO, SO: r.SO, Time: r.Time.UTC(), By: r.By,
		Lines: mapSlice(r.Lines, func(u swa.ReshippedUnit) SWAReshippedUnits {
			return SWAReshippedUnits{FromShipment: u.From, ToShipment: u.To, Quantity: u.Qty, ExpiresAt: u.Expires.UTC()}
		})}
}

func toSWAProspect(p swa.Prospect) SWAProspect {
	return SWAProspect{Customer: p.Customer, CustomerName: p.CustomerName, Location: p.Location, Name: p.Name, HWKC: p.HWKC,
		System: p.System, FirstActivated: p.FirstActivated.UTC(), GraceEnd: p.GraceEnd.UTC(), Products: nonNil(slices.Clone(p.Products))}
}

func toSWAProduct(p swa.Product) SWAProduct {
	return SWAProduct{Name: p.Name, Application: p.Application, Code: p.Code, Systems: nonNil(slices.Clone(p.Systems)),
		Parts: nonNil(slices.Clone(p.Parts)), RenewalMaxMonths: p.RenewalMaxMonths,
		Tables: mapSlice(p.Tables, func(t swa.Table) SWATable {
			return SWATable{ActivatedBefore: day(t.ActivatedBefore), EndDateChoice: t.EndDateChoice, MinMonths: t.MinMonths,
				WaiveReinstatement: t.WaiveReinstatement, Terms: mapSlice(t.Terms, func(t swa.Term) SWATerm { return SWATerm(t) })}
		})}
}

func toSWAReinstatement(r swa.Reinstatement) SWAReinstatement {
	return SWAReinstatement{Months: r.Months, Units: r.Units, Since: day(r.Since), Waived: r.Waived}
}

func toSWAQuote(q swa.Quote) SWAQuote {
	return SWAQuote{Location: q.Location, Customer: q.Customer, Name: q.Name, HWKC: q.HWKC, At: q.At.UTC(), Available: q.Available,
		Products: mapSlice(q.Products, func(p swa.ProductQuote) SWAProductQuote {
			return SWAProductQuote{Product: p.Product, Application: p.Application, State: p.State.String(), Start: day(p.Start),
				Options: mapSlice(p.Options, func(o swa.Option) SWAOption {
					return SWAOption{Months: o.Months, Units: o.Units, End: o.End.UTC(), Total: o.Total}
				}),
				Reinstatement: toSWAReinstatement(p.Reinstatement), EndDateChoice: p.EndDateChoice, MinEnd: day(p.MinEnd), MaxEnd: day(p.MaxEnd)}
		})}
}

func (r SWAAssignRequest) swa() swa.AssignRequest {
	return swa.AssignRequest{Reference: r.Reference, AuthorizeUnits: r.AuthorizeUnits,
		Choices: mapSlice(r.Choices, func(c SWAChoice) swa.Choice {
			ch := swa.Choice{Product: c.Product, Months: c.Months}
			if c.End != nil {
				ch.End = c.End.UTC()
			}
			return ch
		})}
}

func toSWAAssignment(a swa.Assignment) SWAAssignment {
	kind := "assignment"
	if a.Kind == swa.KindRenewal {
		kind = "renewal"
	}
	return SWAAssignment{ID: a.ID, Kind: kind, State: a.State.String(), Partner: a.Partner, Customer: a.Customer, Location: a.Location,
		Items: mapSlice(a.Items, func(it swa.Item) SWAItem {
			return SWAItem{Location: it.Location, Product: it.Product, Months: it.Months, Start: it.Start.UTC(), End: it.End.UTC(),
				Units: it.Units, Reinstatement: it.Reinstatement, ReinstatementMonths: it.ReinstatementMonths, Agreement: it.Agreement}
		}),
		Units: a.Units, Reference: a.Reference, CreatedAt: a.Created.UTC(), By: a.By, DueAt: timePtr(a.Due),
		Draws:    mapSlice(a.Draws, func(d swa.Draw) SWADraw { return SWADraw{Shipment: d.Shipment, Quantity: d.Qty} }),
		ClosedAt: timePtr(a.Closed), ClosedBy: a.ClosedBy, Reason: a.Reason, Pushed: a.Pushed, Escalated: a.Escalated,
		EscalatedBy: a.EscalatedBy, EscalationNote: a.EscalationNote}
}

func toSWAStatus(s swa.Status) SWAStatus {
	out := SWAStatus{Location: s.Location, Customer: s.Customer, Name: s.Name, HWKC: s.HWKC, System: s.System, State: s.State.String(),
		Products: mapSlice(s.Products, func(p swa.ProductStatus) SWAProductStatus {
			return SWAProductStatus{Product: p.Product, Application: p.Application, State: p.State.String(), Agreement: p.Agreement,
				ExpiresAt: day(p.Expires), GraceStart: day(p.GraceStart), GraceEnd: day(p.GraceEnd), Start: day(p.Start),
				History: mapSlice(p.History, func(h swa.Period) SWAPeriod {
					return SWAPeriod{Kind: h.Kind.String(), Agreement: h.Agreement, Start: h.Start.UTC(), End: h.End.UTC(), Months: h.Months,
						Units: h.Units, Reference: h.Reference, At: h.At.UTC(), Assignment: h.Assignment}
				})}
		}),
		TimeLeftSeconds: int64(s.TimeLeft / time.Second), NoTerms: nonNil(slices.Clone(s.NoTerms)),
		Migrations: mapSlice(s.Migrations, func(m swa.Migration) SWAMigration {
			return SWAMigration{Order: m.Order, At: m.At.UTC(), Lines: m.Lines}
		})}
	if s.Pending != nil {
		p := toSWAAssignment(*s.Pending)
		out.Pending = &p
	}
	return out
}

func (r SWARenewalQuoteRequest) swa() swa.RenewalRequest {
	req := swa.RenewalRequest{Customer: r.Customer, Months: r.Months}
	if len(r.Locations) > 0 {
		req.Locations = slices.Clone(r.Locations)
	}
	if r.Start != nil {
		req.Start = r.Start.UTC()
	}
	if r.End != nil {
		req.End = r.End.UTC()
	}
	return req
}

func toSWARenewalQuote(q swa.RenewalQuote) SWARenewalQuote {
	return SWARenewalQuote{Customer: q.Customer, At: q.At.UTC(), Start: q.Start.UTC(), Units: q.Units, Available: q.Available, Failed: q.Failed,
		Lines: mapSlice(q.Lines, func(l swa.RenewalLine) SWARenewalLine {
			return SWARenewalLine{Location: l.Location, Name: l.Name, HWKC: l.HWKC, Product: l.Product, Application: l.Application,
				Agreement: l.Agreement, Start: day(l.Start), End: day(l.End), Months: l.Months, Units: l.Units,
				Reinstatement: toSWAReinstatement(l.Reinstatement), Total: l.Total(), Failed: l.Failed, FailedDetail: l.FailedDetail}
		})}
}

// quoteReasons are the failures of a renewal quote.
func quoteReasons(q swa.RenewalQuote) []QuoteReason {
	out := []QuoteReason{}
	for _, l := range q.Lines {
		if l.Failed != "" {
			out = append(out, QuoteReason{Location: l.Location, Product: l.Product, Agreement: l.Agreement, Reason: l.Failed, Detail: l.FailedDetail})
		}
	}
	if q.Failed != "" {
		out = append(out, QuoteReason{Reason: q.Failed})
	}
	return out
}

func toSWAOffer(o swa.Offer) SWAOffer {
	return SWAOffer{Part: o.Part, Name: o.Name, Quantity: o.Qty, Replaces: o.Replaces}
}
