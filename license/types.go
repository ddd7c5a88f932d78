package license

import "strconv"

// EntitlementType is an entitlement type code of the second vendor's entitlement basics (its
// "Entitlement Category" table): a letter that says whether an entitlement is commercial and
// whether it is permanent or fixed-term. A [File] carries one in its Entitlement field; the
// ledger (package entitlement) carries one on every shipped order line. The zero EntitlementType
// is not a type; [EntitlementType.IsValid] tells. This table is the one place the categories are
// kept: the file rules and the ledger both read it.
//
//	code  name                          commercial  term
//	T     Commerce                      yes         permanent
//	B     Beta tests                    yes         fixed-term
//	D     Commissioning                 yes         fixed-term
//	L     Trial                         yes         fixed-term
//	M     Buyout                        yes         fixed-term
//	N     Case by case                  yes         fixed-term
//	P     Postpaid                      yes         fixed-term
//	S     Software subscription annual fee  yes     fixed-term
//	X     Test                          yes         fixed-term
//	Y     Energy saving service         yes         fixed-term
//	A     Brand exhibition              no          fixed-term
//	C     Pre-sales expansion           no          fixed-term
//	F     Exhibition                    no          fixed-term
//	V     R&D external test             no          fixed-term
type EntitlementType string

// The entitlement types, in the table's order.
const (
	TypeCommerce          EntitlementType = "T" // commercial, permanent: the default
	TypeBetaTest          EntitlementType = "B"
	TypeCommissioning     EntitlementType = "D"
	TypeTrial             EntitlementType = "L" // the second vendor's trial entitlement, not the device's trial
	TypeBuyout            EntitlementType = "M"
	TypeCaseByCase        EntitlementType = "N"
	TypePostpaid          EntitlementType = "P"
	TypeSubscription      EntitlementType = "S" // software subscription annual fee
	TypeTest              EntitlementType = "X"
	TypeEnergySaving      EntitlementType = "Y"
	TypeBrandExhibition   EntitlementType = "A"
	TypePresalesExpansion EntitlementType = "C" // temporary pre-sales licenses
	TypeExhibition        EntitlementType = "F"
	TypeRDExternalTest    EntitlementType = "V"
)

// typeInfo is one row of the table.
type typeInfo struct {
	code       EntitlementType
	name       string
	commercial bool
	fixedTerm  bool
}

// entitlementTypes is the table, in its order.
var entitlementTypes = [...]typeInfo{
	{TypeCommerce, "Commerce", true, false},
	{TypeBetaTest, "Beta tests", true, true},
	{TypeCommissioning, "Commissioning", true, true},
	{TypeTrial, "Trial", true, true},
	{TypeBuyout, "Buyout", true, true},
	{TypeCaseByCase, "Case by case", true, true},
	{TypePostpaid, "Postpaid", true, true},
	{TypeSubscription, "Software subscription annual fee", true, true},
	{TypeTest, "Test", true, true},
	{TypeEnergySaving, "Energy saving service", true, true},
	{TypeBrandExhibition, "Brand exhibition", false, true},
	{TypePresalesExpansion, "Pre-sales expansion", false, true},
	{TypeExhibition, "Exhibition", false, true},
	{TypeRDExternalTest, "R&D external test", false, true},
}

func (t EntitlementType) info() (typeInfo, bool) {
	if len(t) != 1 {
		return typeInfo{}, false
	}
	for _, ti := range entitlementTypes {
		if ti.code == t {
			return ti, true
		}
	}
	return typeInfo{}, false
}

// EntitlementTypes returns every entitlement type, in the table's order (T first). The caller owns
// the slice.
func EntitlementTypes() []EntitlementType {
	out := make([]EntitlementType, len(entitlementTypes))
	for i, ti := range entitlementTypes {
		out[i] = ti.code
	}
	return out
}

// ParseEntitlementType returns the type of a one-letter code of the table, exactly as written
// (upper case). Anything else is an error naming the codes.
func ParseEntitlementType(s string) (EntitlementType, error) {
	t := EntitlementType(s)
	if _, ok := t.info(); !ok {
		in := s
		if len(in) > 16 {
			in = in[:16] + "…"
		}
		return "", fieldErr("entitlement", "unknown entitlement type "+strconv.Quote(in)+"; the types are T B D L M N P S X Y A C F V")
	}
	return t, nil
}

// IsValid reports whether t is a type of the table.
func (t EntitlementType) IsValid() bool {
	_, ok := t.info()
	return ok
}

// Name is the table's name of the type ("Commerce", "Pre-sales expansion"), or "" for an invalid
// type.
func (t EntitlementType) Name() string {
	ti, _ := t.info()
	return ti.name
}

// Commercial reports whether the type is commercial (T B D L M N P S X Y); false for the
// non-commercial types (A C F V) and an invalid one.
func (t EntitlementType) Commercial() bool {
	ti, _ := t.info()
	return ti.commercial
}

// FixedTerm reports whether entitlements of the type end (every valid type but T). A permanent
// type never expires.
func (t EntitlementType) FixedTerm() bool {
	ti, _ := t.info()
	return ti.fixedTerm
}

// String returns the code.
func (t EntitlementType) String() string { return string(t) }

// MarshalText returns the code of a valid type and the empty text for the zero type (none given),
// and an error for anything else.
func (t EntitlementType) MarshalText() ([]byte, error) {
	if t != "" && !t.IsValid() {
		return nil, fieldErr("entitlement", "invalid entitlement type "+strconv.Quote(string(t)))
	}
	return []byte(t), nil
}

// UnmarshalText accepts what [ParseEntitlementType] accepts and the empty text as the zero type,
// leaving t unchanged on error.
func (t *EntitlementType) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*t = ""
		return nil
	}
	v, err := ParseEntitlementType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
