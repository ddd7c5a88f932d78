package httpapi

import "strings"

// Role sets on the wire: a list of snake_case names, one per role held. The ledger's roles, the
// temporary license book's approval roles and the deal-registration book's roles each have a
// table of flagName.

// flagName is one flag of a bit set with its wire name.
type flagName[T ~uint8 | ~uint32] struct {
	v    T
	name string
}

// flagList names the flags set in v, in table order; never nil.
func flagList[T ~uint8 | ~uint32](v T, table []flagName[T]) []string {
	out := []string{}
	for _, f := range table {
		if v&f.v == f.v {
			out = append(out, f.name)
		}
	}
	return out
}

// parseFlags reads a list of names; an unknown one is refused as invalid, naming the field and its
// position in the list.
func parseFlags[T ~uint8 | ~uint32](names []string, table []flagName[T], field string) (T, error) {
	var v T
	for i, n := range names {
		found := false
		for _, f := range table {
			if f.name == n {
				v |= f.v
				found = true
			}
		}
		if !found {
			valid := make([]string, 0, len(table))
			for _, f := range table {
				valid = append(valid, f.name)
			}
			pos := i
			return 0, &apiError{status: 422, kind: "invalid", detail: "unknown role " + n + " (want one of " + strings.Join(valid, ", ") + ")",
				field: field, position: &pos}
		}
	}
	return v, nil
}
