package entitlement

import (
	"fmt"

	"github.com/lmskit/lmskit/keycode"
)

// Location attributes of BX/OVOC locations.
const (
	// AttrProductKey is a BX/OVOC location's product key: entered at creation for a hardware
	// product (the delivery serial DT…), generated at first activation for a software product.
	AttrProductKey = "product-key"
	// AttrRedundant marks a BX9000/OVOC primary location of a redundant pair (value "yes"); its
	// secondary is a child location of the same system.
	AttrRedundant = "redundant"
)

// bxHardware reports whether a BX/OVOC system is a hardware product (product key at creation).
func bxHardware(system string) bool { return system == "BX/OVOC HW" }

// bxOVOC: hardware products need serial and product key, software products get the key at first
// activation; a redundant pair needs its secondary child before any activation; attach and
// activate on the primary only.
type bxOVOC struct{}

func (bxOVOC) CreateLocation(v RuleView, loc *Location) error {
	pk, has := loc.Attr(AttrProductKey)
	if loc.Parent != "" {
		p, ok, err := v.Location(loc.Parent)
		if err != nil {
			return err
		}
		if !ok || p.System != loc.System {
			return ruleRefuse("a BX/OVOC child location is the secondary of a %s primary", loc.System)
		}
		if r, _ := p.Attr(AttrRedundant); r != "yes" {
			return ruleRefuse("location %s is not a redundant BX/OVOC primary", p.ID)
		}
		kids, err := v.Children(p.ID)
		if err != nil {
			return err
		}
		for _, kid := range kids {
			if kid.System == p.System {
				return ruleRefuse("redundant pair %s has its secondary %s already", p.ID, kid.ID)
			}
		}
		// "Secondary before any activation" needs no check here: Activate below refuses a
		// redundant primary without its secondary, and the issuer refuses a pair without one
		// (bxPrepare), so a primary that has activated lines already has its only secondary,
		// which the loop above refuses to duplicate.
	}
	if r, ok := loc.Attr(AttrRedundant); ok && (r != "yes" || loc.Parent != "") {
		return ruleRefuse("attribute %s is \"yes\" on a primary location", AttrRedundant)
	}
	if bxHardware(loc.System) {
		if !has {
			return ruleRefuse("a BX/OVOC hardware product needs its serial number and product key (DT…)")
		}
		k, err := keycode.ParseProductKey(pk)
		if err != nil || !k.IsHardware() {
			return wrapf(ErrInvalid, "product key %q: want the delivery serial DT + 7 digits", pk)
		}
		loc.setAttr(AttrProductKey, k.String())
		return nil
	}
	if has {
		return ruleRefuse("leave the product key of a BX/OVOC software product empty: it is set at first activation")
	}
	return nil
}

func (bxOVOC) Attach(v RuleView, loc Location, _ []Line) error {
	if loc.Parent != "" {
		return ruleRefuse("attach BX/OVOC licenses on the primary location, not on secondary %s", loc.ID)
	}
	return nil
}

func (r bxOVOC) Activate(v RuleView, loc Location, _ []Line) error {
	if loc.Parent != "" {
		return ruleRefuse("activate BX/OVOC licenses on the primary location, not on secondary %s", loc.ID)
	}
	if red, _ := loc.Attr(AttrRedundant); red == "yes" {
		if _, ok, err := bxSecondary(v, loc); err != nil {
			return err
		} else if !ok {
			return ruleRefuse("redundant BX/OVOC %s: create its secondary location before any activation", loc.ID)
		}
	}
	return nil
}

func bxSecondary(v RuleView, loc Location) (Location, bool, error) {
	kids, err := v.Children(loc.ID)
	if err != nil {
		return Location{}, false, err
	}
	for _, kid := range kids {
		if kid.System == loc.System {
			return kid, true, nil
		}
	}
	return Location{}, false, nil
}

// bxPrepare gives a BX/OVOC location (and its secondary) a product key at its first file and
// returns the secondary for the container.
func (o *op) bxPrepare(loc *Location) (*Location, error) {
	var pair *Location
	if red, _ := loc.Attr(AttrRedundant); red == "yes" {
		sec, ok, err := bxSecondary(ruleView{o}, *loc)
		if err != nil {
			return nil, err
		}
		if !ok {
			// The Activate rule refuses this first (ErrRule); reaching it here means a ledger
			// without the guide's rules, so it is a state error of the pair.
			return nil, wrapf(ErrState, "redundant BX/OVOC %s has no secondary location", loc.ID)
		}
		pair = &sec
	}
	for _, l := range []*Location{loc, pair} {
		if l == nil {
			continue
		}
		if _, ok := l.Attr(AttrProductKey); ok {
			continue
		}
		if bxHardware(l.System) {
			return nil, wrapf(ErrRule, "BX/OVOC hardware location %s has no product key", l.ID)
		}
		k, err := o.newProductKey()
		if err != nil {
			return nil, err
		}
		l.setAttr(AttrProductKey, k)
		o.ref("product-key", k)
		if l == pair {
			if err := putRec(o.tx, bLocs, l.ID, *l); err != nil {
				return nil, err
			}
		}
	}
	return pair, nil
}

// newProductKey returns a random 15-character software product key.
func (o *op) newProductKey() (string, error) {
	const alpha = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	var b [15]byte
	if _, err := o.l.rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("entitlement: product key: %w", err)
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
