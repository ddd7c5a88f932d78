package lifecycle

import (
	"strings"

	"github.com/lmskit/lmskit/entitlement"
)

// MoveError refuses a move its machine's table does not allow from the entitlement's status: a
// detach of an activated line, a revocation of a pooled one, anything after Inactive or Order
// Cancelled. It carries the moves that are allowed, and matches entitlement.ErrState. A refused
// move changes nothing.
type MoveError struct {
	Machine Machine
	// Entitlement names the entitlement: a software key code, "line <id>" for a shipped line's
	// bin quantity, or a third-party entitlement's id.
	Entitlement string
	// From is the entitlement's status; 0 for a shipped line with nothing left in the bin.
	From Status
	Move Move
	// Allowed lists the moves the table allows from From; empty for a final status.
	Allowed []Move
}

// Error says what was refused and what is allowed instead.
func (e *MoveError) Error() string {
	var b strings.Builder
	if e.From == 0 {
		// A shipped line's bin quantity with nothing left in the bin.
		b.WriteString("lifecycle: " + e.Machine.String() + ": entitlement " + e.Entitlement + " has nothing Ready: the move " +
			e.Move.String() + " is not allowed")
	} else {
		b.WriteString("lifecycle: " + e.Machine.String() + ": entitlement " + e.Entitlement + " is " + e.From.String() +
			": the move " + e.Move.String() + " is not allowed from it")
	}
	if len(e.Allowed) == 0 {
		b.WriteString(" (a final status: no move is)")
	} else {
		b.WriteString(" (allowed: ")
		for i, m := range e.Allowed {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(m.String())
		}
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap makes a MoveError match entitlement.ErrState.
func (e *MoveError) Unwrap() error { return entitlement.ErrState }
