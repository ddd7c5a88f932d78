package lifecycle

import (
	"fmt"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/license"
)

// The annual-fee entitlement basics ("Calculation Rules of Annual Fees"): a business model that
// makes the entitlement permanent or fixed-term, a quotation scenario, and a rule that picks the
// date the fee starts from. [FeeTerm] computes start and end.

// BusinessModel is an annual-fee business model, by its code.
type BusinessModel string

// The business models in use.
const (
	ModelPerpetual    BusinessModel = "01" // Perpetual License: permanent
	ModelSnS          BusinessModel = "02" // SnS: permanent
	ModelASRF         BusinessModel = "03" // ASRF: permanent
	ModelTBL          BusinessModel = "04" // TBL: fixed-term
	ModelSUS          BusinessModel = "05" // SUS: fixed-term
	ModelTBLPerpetual BusinessModel = "07" // TBL (Perpetual): permanent
	ModelTBLFeature   BusinessModel = "09" // TBL (feature level): fixed-term
)

var modelNames = map[BusinessModel]struct {
	name  string
	fixed bool
}{
	ModelPerpetual: {"Perpetual License", false}, ModelSnS: {"SnS", false}, ModelASRF: {"ASRF", false},
	ModelTBL: {"TBL", true}, ModelSUS: {"SUS", true}, ModelTBLPerpetual: {"TBL (Perpetual)", false},
	ModelTBLFeature: {"TBL (feature level)", true},
}

// IsValid reports whether m is a business model in use.
func (m BusinessModel) IsValid() bool { _, ok := modelNames[m]; return ok }

// Name is the model's name ("TBL (feature level)"), or "" for an invalid one.
func (m BusinessModel) Name() string { return modelNames[m].name }

// FixedTerm reports whether the model's entitlement ends (04 TBL, 05 SUS, 09 TBL feature level):
// such an entitlement is shipped as type S (software subscription annual fee) ending at the fee
// term's end. The others (01, 02, 03, 07) are permanent, type T: the fee term runs, the license
// does not end.
func (m BusinessModel) FixedTerm() bool { return modelNames[m].fixed }

// Type is the entitlement type the model's lines are shipped with: S for a fixed-term model, T
// for a permanent one.
func (m BusinessModel) Type() license.EntitlementType {
	if m.FixedTerm() {
		return license.TypeSubscription
	}
	return license.TypeCommerce
}

// Scenario is an annual-fee quotation scenario, by its code.
type Scenario string

// The quotation scenarios.
const (
	ScenarioFirstSigned Scenario = "01"
	ScenarioExpansion   Scenario = "02"
	ScenarioResigned    Scenario = "03"
)

// StartRule is the rule that gives an annual fee's start, by its code.
type StartRule string

// The start rules.
const (
	// StartEarlierOfActivationOrPO: the earlier of the license activation date and the PO
	// signing date plus 90 days.
	StartEarlierOfActivationOrPO StartRule = "01"
	// StartPOSigned: the PO signing date.
	StartPOSigned StartRule = "02"
	// StartPOD: the POD date, which the caller supplies (the document does not define it).
	StartPOD StartRule = "03"
	// StartPAC: the PAC date, which the caller supplies (the document does not define it).
	StartPAC StartRule = "04"
	// StartDefault: the default rule for the expansion or re-signed scenario, whose date the
	// caller supplies (the document does not say how it is found).
	StartDefault StartRule = "05"
	// StartPositiveDate: the positive date, which the caller supplies (the document does not
	// define it).
	StartPositiveDate StartRule = "06"
)

// AnnualFee is the annual-fee basis of an order: what its entitlement details show beside the
// type.
type AnnualFee struct {
	Model    BusinessModel `cbor:"1,keyasint" json:"model"`
	Scenario Scenario      `cbor:"2,keyasint" json:"scenario"`
	Rule     StartRule     `cbor:"3,keyasint" json:"rule"`
	// Months is the fee term's length in months (1 to 120). An expansion that co-terms with the
	// entitlement it expands (OrderDates.ExpandedEnd) has none: 0.
	Months int `cbor:"4,keyasint,omitempty" json:"months,omitempty"`
}

// OrderDates are the dates an order knows, from which [FeeTerm] computes the term. Each rule
// needs its own: rule 01 POSigned (and Activated once the license is activated), 02 POSigned, 03
// POD, 04 PAC, 05 Default, 06 Positive. The document names POD, PAC and the positive date and
// gives rule 05 without defining any of them: the caller supplies those dates as its own contract
// defines them, and FeeTerm takes them as given.
type OrderDates struct {
	POSigned  time.Time `cbor:"1,keyasint,omitzero" json:"po_signed,omitzero"`
	Activated time.Time `cbor:"2,keyasint,omitzero" json:"activated,omitzero"` // the license activation; zero before it
	POD       time.Time `cbor:"3,keyasint,omitzero" json:"pod,omitzero"`
	PAC       time.Time `cbor:"4,keyasint,omitzero" json:"pac,omitzero"`
	Default   time.Time `cbor:"5,keyasint,omitzero" json:"default,omitzero"`  // rule 05's start
	Positive  time.Time `cbor:"6,keyasint,omitzero" json:"positive,omitzero"` // rule 06's start
	// ExpandedEnd is the end of the entitlement an expansion (scenario 02) adds to: the expansion
	// ends with it (co-terms), so its fee covers the rest of that term.
	ExpandedEnd time.Time `cbor:"7,keyasint,omitzero" json:"expanded_end,omitzero"`
}

// Term is an annual fee's computed term.
type Term struct {
	// Start and End are days (00:00 UTC): the fee runs from Start up to End, exclusive.
	Start, End time.Time
	// Provisional is set for rule 01 before the license is activated: the start is the PO date
	// plus 90 days, and an activation before it will move the term earlier.
	Provisional bool
	// Permanent is set for a permanent business model: the fee term runs, the license itself
	// never ends. For a fixed-term model the license ends at End.
	Permanent bool
}

// FeeTerm computes an annual fee's start and end from its business model, quotation scenario and
// start rule and the dates the order knows. It is a pure function: the same arguments give the same
// term.
//
//   - Dates are days: every date is taken at its UTC day (00:00).
//   - Start, by rule: 01 the earlier of d.Activated and d.POSigned + 90 days, or, before
//     activation (d.Activated zero), d.POSigned + 90 days, marked Provisional; 02 d.POSigned; 03
//     d.POD; 04 d.PAC; 05 d.Default, and only in the expansion and re-signed scenarios; 06
//     d.Positive. A rule's date is required.
//   - End: the first-signed and re-signed scenarios run fee.Months months from the start (1 to
//     120; month ends clamp: 31 January + 1 month is 28 or 29 February). An expansion co-terms with
//     what it expands: given d.ExpandedEnd it ends then (after the start, and fee.Months must be
//     0); without it, it runs fee.Months like the others.
//
// A missing or inconsistent input is an error matching entitlement.ErrInvalid that names it.
func FeeTerm(fee AnnualFee, d OrderDates) (Term, error) {
	bad := func(format string, a ...any) (Term, error) {
		return Term{}, fmt.Errorf("%w: lifecycle: annual fee: %s", entitlement.ErrInvalid, fmt.Sprintf(format, a...))
	}
	if !fee.Model.IsValid() {
		return bad("business model %q is none of 01, 02, 03, 04, 05, 07, 09", fee.Model)
	}
	switch fee.Scenario {
	case ScenarioFirstSigned, ScenarioExpansion, ScenarioResigned:
	default:
		return bad("quotation scenario %q is none of 01, 02, 03", fee.Scenario)
	}
	day := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		y, m, dd := t.UTC().Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	need := func(t time.Time, what string) (time.Time, error) {
		if t.IsZero() {
			return t, fmt.Errorf("%w: lifecycle: annual fee: rule %s needs the %s date", entitlement.ErrInvalid, fee.Rule, what)
		}
		return day(t), nil
	}
	var (
		term Term
		err  error
	)
	switch fee.Rule {
	case StartEarlierOfActivationOrPO:
		var po time.Time
		if po, err = need(d.POSigned, "PO signed"); err != nil {
			return Term{}, err
		}
		term.Start = po.AddDate(0, 0, 90)
		if d.Activated.IsZero() {
			term.Provisional = true
		} else if a := day(d.Activated); a.Before(term.Start) {
			term.Start = a
		}
	case StartPOSigned:
		term.Start, err = need(d.POSigned, "PO signed")
	case StartPOD:
		term.Start, err = need(d.POD, "POD (supplied by the caller)")
	case StartPAC:
		term.Start, err = need(d.PAC, "PAC (supplied by the caller)")
	case StartDefault:
		if fee.Scenario == ScenarioFirstSigned {
			return bad("rule 05 is the default rule for the expansion or re-signed scenario, not for a first signing")
		}
		term.Start, err = need(d.Default, "default start (supplied by the caller)")
	case StartPositiveDate:
		term.Start, err = need(d.Positive, "positive (supplied by the caller)")
	default:
		return bad("start rule %q is none of 01 to 06", fee.Rule)
	}
	if err != nil {
		return Term{}, err
	}
	switch {
	case fee.Scenario == ScenarioExpansion && !d.ExpandedEnd.IsZero():
		if fee.Months != 0 {
			return bad("an expansion co-terms with the entitlement it expands: give months 0, not %d", fee.Months)
		}
		term.End = day(d.ExpandedEnd)
		if !term.End.After(term.Start) {
			return bad("the expanded entitlement ends %s, not after the expansion's start %s", term.End.Format(time.DateOnly), term.Start.Format(time.DateOnly))
		}
	case fee.Months < 1 || fee.Months > 120:
		return bad("%d months; a term is 1 to 120 months", fee.Months)
	default:
		term.End = addMonths(term.Start, fee.Months)
	}
	term.Permanent = !fee.Model.FixedTerm()
	return term, nil
}

// addMonths adds months to a day, clamping to the last day of the target month.
func addMonths(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC)
}
