package lifecycle_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/lifecycle"
	"github.com/lmskit/lmskit/license"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestDoc002_AnnualFeeTerm: the annual fee's start and end from its rule, scenario and the dates
// the order knows, one case per rule and scenario, and the refusals.
func TestDoc002_AnnualFeeTerm(t *testing.T) {
	po := time.Date(2024, 1, 15, 17, 30, 0, 0, time.FixedZone("CET", 3600)) // a time of day, not UTC: the day counts
	first := func(rule lifecycle.StartRule, months int) lifecycle.AnnualFee {
		return lifecycle.AnnualFee{Model: lifecycle.ModelTBL, Scenario: lifecycle.ScenarioFirstSigned, Rule: rule, Months: months}
	}
	for _, tc := range []struct {
		name, why string
		fee       lifecycle.AnnualFee
		dates     lifecycle.OrderDates
		want      lifecycle.Term
		err       string // a part of the refusal; "" when accepted
	}{
		{"rule 01 activated first", "activation before PO + 90 days starts the fee", first("01", 12),
			lifecycle.OrderDates{POSigned: po, Activated: day(2024, 2, 1)}, lifecycle.Term{Start: day(2024, 2, 1), End: day(2025, 2, 1)}, ""},
		{"rule 01 PO + 90 first", "PO + 90 days is earlier than a late activation", first("01", 12),
			lifecycle.OrderDates{POSigned: po, Activated: day(2024, 6, 1)}, lifecycle.Term{Start: day(2024, 4, 14), End: day(2025, 4, 14)}, ""},
		{"rule 01 same day", "the earlier of two equal dates", first("01", 1),
			lifecycle.OrderDates{POSigned: po, Activated: day(2024, 4, 14)}, lifecycle.Term{Start: day(2024, 4, 14), End: day(2024, 5, 14)}, ""},
		{"rule 01 not yet activated", "PO + 90 days, provisional until activation", first("01", 12),
			lifecycle.OrderDates{POSigned: po}, lifecycle.Term{Start: day(2024, 4, 14), End: day(2025, 4, 14), Provisional: true}, ""},
		{"rule 02", "the PO signing date", first("02", 36), lifecycle.OrderDates{POSigned: po, Activated: day(2024, 2, 1)},
			lifecycle.Term{Start: day(2024, 1, 15), End: day(2027, 1, 15)}, ""},
		{"rule 03", "the caller's POD", first("03", 12), lifecycle.OrderDates{POSigned: po, POD: day(2024, 3, 3)},
			lifecycle.Term{Start: day(2024, 3, 3), End: day(2025, 3, 3)}, ""},
		{"rule 04", "the caller's PAC", first("04", 24), lifecycle.OrderDates{PAC: day(2024, 5, 31)},
			lifecycle.Term{Start: day(2024, 5, 31), End: day(2026, 5, 31)}, ""},
		{"rule 06", "the caller's positive date", first("06", 12), lifecycle.OrderDates{Positive: day(2024, 2, 29)},
			lifecycle.Term{Start: day(2024, 2, 29), End: day(2025, 2, 28)}, ""},
		{"month end clamps", "31 January + 1 month is the end of February", first("06", 1), lifecycle.OrderDates{Positive: day(2024, 1, 31)},
			lifecycle.Term{Start: day(2024, 1, 31), End: day(2024, 2, 29)}, ""},
		{"rule 05 re-signed", "the caller's default start of a re-signing", lifecycle.AnnualFee{Model: lifecycle.ModelSUS, Scenario: lifecycle.ScenarioResigned, Rule: "05", Months: 12},
			lifecycle.OrderDates{Default: day(2025, 1, 15)}, lifecycle.Term{Start: day(2025, 1, 15), End: day(2026, 1, 15)}, ""},
		{"expansion co-terms", "an expansion ends with what it expands", lifecycle.AnnualFee{Model: lifecycle.ModelTBLFeature, Scenario: lifecycle.ScenarioExpansion, Rule: "05"},
			lifecycle.OrderDates{Default: day(2024, 7, 1), ExpandedEnd: day(2025, 1, 15)}, lifecycle.Term{Start: day(2024, 7, 1), End: day(2025, 1, 15)}, ""},
		{"expansion without co-term", "without the expanded end it runs its months", lifecycle.AnnualFee{Model: lifecycle.ModelTBL, Scenario: lifecycle.ScenarioExpansion, Rule: "02", Months: 6},
			lifecycle.OrderDates{POSigned: po}, lifecycle.Term{Start: day(2024, 1, 15), End: day(2024, 7, 15)}, ""},
		{"permanent model", "01 Perpetual: the fee runs, the license does not end", lifecycle.AnnualFee{Model: lifecycle.ModelPerpetual, Scenario: "01", Rule: "02", Months: 12},
			lifecycle.OrderDates{POSigned: po}, lifecycle.Term{Start: day(2024, 1, 15), End: day(2025, 1, 15), Permanent: true}, ""},
		{"TBL perpetual", "07 is permanent", lifecycle.AnnualFee{Model: lifecycle.ModelTBLPerpetual, Scenario: "01", Rule: "02", Months: 12},
			lifecycle.OrderDates{POSigned: po}, lifecycle.Term{Start: day(2024, 1, 15), End: day(2025, 1, 15), Permanent: true}, ""},

		{"rule 05 first signed", "rule 05 is for expansion or re-signed", first("05", 12), lifecycle.OrderDates{Default: day(2024, 1, 1)}, lifecycle.Term{}, "not for a first signing"},
		{"rule 03 without POD", "the caller supplies the POD", first("03", 12), lifecycle.OrderDates{POSigned: po}, lifecycle.Term{}, "needs the POD"},
		{"rule 04 without PAC", "the caller supplies the PAC", first("04", 12), lifecycle.OrderDates{POSigned: po}, lifecycle.Term{}, "needs the PAC"},
		{"rule 06 without date", "the caller supplies the positive date", first("06", 12), lifecycle.OrderDates{POSigned: po}, lifecycle.Term{}, "needs the positive"},
		{"rule 05 without date", "the caller supplies the default start", lifecycle.AnnualFee{Model: "04", Scenario: "03", Rule: "05", Months: 12}, lifecycle.OrderDates{}, lifecycle.Term{}, "needs the default start"},
		{"rule 01 without PO", "the PO date is required", first("01", 12), lifecycle.OrderDates{Activated: day(2024, 1, 1)}, lifecycle.Term{}, "needs the PO signed"},
		{"no months", "a term has a length", first("02", 0), lifecycle.OrderDates{POSigned: po}, lifecycle.Term{}, "0 months"},
		{"too many months", "at most 120", first("02", 121), lifecycle.OrderDates{POSigned: po}, lifecycle.Term{}, "121 months"},
		{"unknown model", "06 and 08 are not in use", lifecycle.AnnualFee{Model: "06", Scenario: "01", Rule: "02", Months: 12}, lifecycle.OrderDates{POSigned: po}, lifecycle.Term{}, "business model"},
		{"unknown scenario", "three scenarios", lifecycle.AnnualFee{Model: "04", Scenario: "04", Rule: "02", Months: 12}, lifecycle.OrderDates{POSigned: po}, lifecycle.Term{}, "quotation scenario"},
		{"unknown rule", "six rules", first("07", 12), lifecycle.OrderDates{POSigned: po}, lifecycle.Term{}, "start rule"},
		{"co-term with months", "an expansion that co-terms has no months", lifecycle.AnnualFee{Model: "04", Scenario: "02", Rule: "02", Months: 12},
			lifecycle.OrderDates{POSigned: po, ExpandedEnd: day(2025, 1, 1)}, lifecycle.Term{}, "give months 0"},
		{"co-term before start", "the expanded entitlement must end after the start", lifecycle.AnnualFee{Model: "04", Scenario: "02", Rule: "02"},
			lifecycle.OrderDates{POSigned: po, ExpandedEnd: day(2024, 1, 15)}, lifecycle.Term{}, "not after the expansion's start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lifecycle.FeeTerm(tc.fee, tc.dates)
			if tc.err != "" {
				if !errors.Is(err, entitlement.ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %+v, %v; want a refusal saying %q (%s)", got, err, tc.err, tc.why)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (%s)", err, tc.why)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Fatalf("%s (-want +got):\n%s", tc.why, d)
			}
			again, _ := lifecycle.FeeTerm(tc.fee, tc.dates)
			if again != got {
				t.Fatal("the same arguments gave another term")
			}
		})
	}
}

// TestDoc002_BusinessModels: the models in use, with the document's license type.
func TestDoc002_BusinessModels(t *testing.T) {
	want := map[lifecycle.BusinessModel]bool{"01": false, "02": false, "03": false, "04": true, "05": true, "07": false, "09": true}
	for m, fixed := range want {
		if !m.IsValid() || m.FixedTerm() != fixed || m.Name() == "" {
			t.Errorf("model %s: valid %v fixed %v name %q", m, m.IsValid(), m.FixedTerm(), m.Name())
		}
		if wantType := map[bool]license.EntitlementType{true: "S", false: "T"}[fixed]; m.Type() != wantType {
			t.Errorf("model %s ships type %s", m, m.Type())
		}
	}
	for _, m := range []lifecycle.BusinessModel{"", "06", "08", "10", "4"} {
		if m.IsValid() || m.FixedTerm() {
			t.Errorf("model %q is valid", m)
		}
	}
}
