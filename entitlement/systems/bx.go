package systems

import (
	"fmt"
	"io"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/keycode"
)

// The guide's "BX/OVOC": a hardware product needs its serial and product key; a software product
// gets its key at the first activation; a redundant pair needs its secondary before any
// activation; licenses are attached and activated on the primary only; the download is
// AA_<product key>_out.zip with one .lic per machine and the .log.

// AttrRedundant marks a BX9000/OVOC primary location of a redundant pair (value "yes"); its
// secondary is a child location of the same system.
const AttrRedundant = "redundant"

// bxHardware reports whether a BX/OVOC system is a hardware product (product key at creation).
func bxHardware(system string) bool { return system == "BX/OVOC HW" }

// bxOVOC: hardware products need serial and product key, software products get the key at first
// activation; a redundant pair needs its secondary child before any activation; attach and
// activate on the primary only; files go in the BX container.
type bxOVOC struct{}

func (bxOVOC) CreateLocation(v entitlement.RuleView, loc *entitlement.Location) error {
	pk, has := loc.Attr(entitlement.AttrProductKey)
	if loc.Parent != "" {
		p, ok, err := v.Location(loc.Parent)
		if err != nil {
			return err
		}
		if !ok || p.System != loc.System {
			return refuse("a BX/OVOC child location is the secondary of a %s primary", loc.System)
		}
		if r, _ := p.Attr(AttrRedundant); r != "yes" {
			return refuse("location %s is not a redundant BX/OVOC primary", p.ID)
		}
		if _, ok, err := bxSecondary(v, p); err != nil {
			return err
		} else if ok {
			return refuse("redundant pair %s has its secondary already", p.ID)
		}
		// "Secondary before any activation" needs no check here: Activate below refuses a
		// redundant primary without its secondary, and PrepareIssue refuses a pair without one,
		// so a primary that has activated lines already has its only secondary, which the check
		// above refuses to duplicate.
	}
	if r, ok := loc.Attr(AttrRedundant); ok && (r != "yes" || loc.Parent != "") {
		return refuse("attribute %s is \"yes\" on a primary location", AttrRedundant)
	}
	if bxHardware(loc.System) {
		if !has {
			return refuse("a BX/OVOC hardware product needs its serial number and product key (DT…)")
		}
		k, err := keycode.ParseProductKey(pk)
		if err != nil || !k.IsHardware() {
			return wrapf(entitlement.ErrInvalid, "product key %q: want the delivery serial DT + 7 digits", pk)
		}
		loc.SetAttr(entitlement.AttrProductKey, k.String())
		return nil
	}
	if has {
		return refuse("leave the product key of a BX/OVOC software product empty: it is set at first activation")
	}
	return nil
}

func (bxOVOC) Attach(_ entitlement.RuleView, loc entitlement.Location, _ []entitlement.Line) error {
	if loc.Parent != "" {
		return refuse("attach BX/OVOC licenses on the primary location, not on secondary %s", loc.ID)
	}
	return nil
}

func (bxOVOC) Activate(v entitlement.RuleView, loc entitlement.Location, _ []entitlement.Line) error {
	if loc.Parent != "" {
		return refuse("activate BX/OVOC licenses on the primary location, not on secondary %s", loc.ID)
	}
	if red, _ := loc.Attr(AttrRedundant); red == "yes" {
		if _, ok, err := bxSecondary(v, loc); err != nil {
			return err
		} else if !ok {
			return refuse("redundant BX/OVOC %s: create its secondary location before any activation", loc.ID)
		}
	}
	return nil
}

// Container: BX/OVOC files go in AA_<product key>_out.zip.
func (bxOVOC) Container() entitlement.Container { return entitlement.ContainerBX }

// PrepareIssue gives a BX/OVOC location (and its secondary) a product key at its first file and
// names the secondary of a redundant pair for the container.
func (bxOVOC) PrepareIssue(v entitlement.RuleView, req *entitlement.IssueRequest) error {
	loc := &req.Location
	var pair *entitlement.Location
	if red, _ := loc.Attr(AttrRedundant); red == "yes" {
		sec, ok, err := bxSecondary(v, *loc)
		if err != nil {
			return err
		}
		if !ok {
			// Activate refuses this first (ErrRule); reaching it here means a regeneration of
			// a pair that lost its secondary, a state error of the pair.
			return wrapf(entitlement.ErrState, "redundant BX/OVOC %s has no secondary location", loc.ID)
		}
		pair = &sec
	}
	for _, l := range []*entitlement.Location{loc, pair} {
		if l == nil {
			continue
		}
		if _, ok := l.Attr(entitlement.AttrProductKey); ok {
			continue
		}
		if bxHardware(l.System) {
			return refuse("BX/OVOC hardware location %s has no product key", l.ID)
		}
		k, err := newProductKey(v.Rand())
		if err != nil {
			return err
		}
		l.SetAttr(entitlement.AttrProductKey, k)
		v.Ref("product-key", k)
	}
	req.Pair = pair
	return nil
}

// bxSecondary returns the secondary of a redundant pair: the child of the primary's system.
func bxSecondary(v entitlement.RuleView, loc entitlement.Location) (entitlement.Location, bool, error) {
	kids, err := v.Children(loc.ID)
	if err != nil {
		return entitlement.Location{}, false, err
	}
	for _, kid := range kids {
		if kid.System == loc.System {
			return kid, true, nil
		}
	}
	return entitlement.Location{}, false, nil
}

// newProductKey returns a random 15-character software product key.
func newProductKey(r io.Reader) (string, error) {
	const alpha = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	var b [15]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("systems: product key: %w", err)
	}
	for i := range b {
		b[i] = alpha[int(b[i])%len(alpha)]
	}
	b[0] = 'V' // a letter first, never the DT hardware form
	k, err := keycode.ParseProductKey(string(b[:]))
	if err != nil {
		return "", err
	}
	return k.String(), nil
}
