package dealreg

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/internal/extop"
)

// ErrTooEarly refuses a price application made less than the policy's lead (15 days) after the
// registration: the deal was not registered in advance. It comes wrapped with
// entitlement.ErrState.
var ErrTooEarly = errors.New("dealreg: price application too early")

// Tier is a partner's tier in the vendor's partner programme.
type Tier uint8

// The tiers. Registered to Value-Added are the client-facing tiers (CFT).
const (
	TierRegistered Tier = iota + 1 // Registered Partner: the least a partner must be to register deals
	TierAuthorized
	TierSilver
	TierGold
	TierValueAdded // Value-Added Partner (VAP)
	TierDistributor
)

var tierNames = [...]string{"none", "Registered", "Authorized", "Silver", "Gold", "Value-Added", "Distributor"}

// String returns the tier's name.
func (t Tier) String() string {
	if int(t) < len(tierNames) {
		return tierNames[t]
	}
	return "tier(" + strconv.Itoa(int(t)) + ")"
}

// ClientFacing reports whether the tier is client-facing (Registered to Value-Added).
func (t Tier) ClientFacing() bool { return t >= TierRegistered && t <= TierValueAdded }

// Profile is a partner's deal-registration profile: its tier and the scope of its authority.
type Profile struct {
	Partner string `cbor:"1,keyasint" json:"partner"`
	Tier    Tier   `cbor:"2,keyasint" json:"tier"`
	// Regions and Products are the authorised regions and products (or solutions): a deal is
	// registered only within them.
	Regions  []string `cbor:"3,keyasint" json:"regions"`
	Products []string `cbor:"4,keyasint" json:"products"`
}

// Role is a set of the deal-registration roles of the vendor's staff.
type Role uint32

// The roles.
const (
	// RoleApprover approves, returns for supplement and rejects registrations, and extends their
	// validity.
	RoleApprover Role = 1 << iota
	roleAll           = RoleApprover
)

// Pipeline is the vendor's own pipeline management (its CRM), a port the service implements: it
// says whether the vendor's account managers already have the deal in their pipeline, in which
// case a registration of it is not accepted. [Book.Accept] calls it before its transaction, never
// inside one, so a slow CRM holds up no other operation; an error refuses the acceptance.
type Pipeline interface {
	InPipeline(ctx context.Context, r Registration) (bool, error)
}

// Policy is the deal-registration policy.
type Policy struct {
	// Pipeline is the vendor's pipeline (required).
	Pipeline Pipeline
	// DistributorsForThemselves lets distributors register deals for themselves (local policy);
	// without it a distributor registers only on behalf of a client-facing partner.
	DistributorsForThemselves bool
	// ValidityMonths is how long a registration is valid from its submission; 0 means 6.
	ValidityMonths int
	// StaleAfter is how long an accepted registration may go without an update before it is
	// invalid; 0 means 4 weeks.
	StaleAfter time.Duration
	// NoticeBefore is how long before its expiry an accepted registration raises
	// [EventExpiring]; 0 means 14 days.
	NoticeBefore time.Duration
	// PriceLead is the least time between a registration and its price application; 0 means 15
	// days.
	PriceLead time.Duration
}

// Book keeps deal registrations on a ledger under a policy.
type Book struct {
	l *entitlement.Ledger
	p Policy
}

// New returns the deal-registration book of l under p. A policy without a pipeline, or with a
// negative duration, is refused with entitlement.ErrInvalid.
func New(l *entitlement.Ledger, p Policy) (*Book, error) {
	if p.Pipeline == nil {
		return nil, fmt.Errorf("%w: dealreg: the policy needs the vendor's pipeline (Policy.Pipeline)", entitlement.ErrInvalid)
	}
	if p.ValidityMonths < 0 || p.StaleAfter < 0 || p.NoticeBefore < 0 || p.PriceLead < 0 {
		return nil, fmt.Errorf("%w: dealreg: negative period in the policy", entitlement.ErrInvalid)
	}
	if p.ValidityMonths == 0 {
		p.ValidityMonths = 6
	}
	if p.StaleAfter == 0 {
		p.StaleAfter = 4 * 7 * 24 * time.Hour
	}
	if p.NoticeBefore == 0 {
		p.NoticeBefore = 14 * 24 * time.Hour
	}
	if p.PriceLead == 0 {
		p.PriceLead = 15 * 24 * time.Hour
	}
	return &Book{l: l, p: p}, nil
}

// Extension buckets.
const (
	bProfiles = "dealreg.profiles" // partner → Profile
	bRegs     = "dealreg.regs"     // id → Registration
	bByP      = "dealreg.p"        // partner \x01 id: the registrations a partner registered or is the deal partner of
	bOpp      = "dealreg.opp"      // opportunity key → id of its accepted registration
	bOpen     = "dealreg.open"     // id: registrations that are submitted, returned or accepted
	bRoles    = "dealreg.roles"    // user → staff roles
)

// SetRoles replaces the deal-registration roles of a vendor user (administrator only). One
// audited operation ("dealreg roles").
func (b *Book) SetRoles(ctx context.Context, a entitlement.Actor, user string, roles Role) error {
	return b.l.Update(ctx, a, "dealreg roles", func(x *entitlement.Op) error {
		return extop.SetRoles(x, bRoles, user, uint32(roles), uint32(roleAll), func(r uint32) string {
			if r == 0 {
				return "none"
			}
			return "approver"
		})
	})
}

// SetProfile sets a partner's tier and authorised scope (administrator only). A distributor
// partner takes the distributor tier, a dealer a client-facing one. One audited operation
// ("dealreg profile").
func (b *Book) SetProfile(ctx context.Context, a entitlement.Actor, pr Profile) error {
	return b.l.Update(ctx, a, "dealreg profile", func(x *entitlement.Op) error {
		if err := x.Need(entitlement.RoleAdmin, "set partner profiles"); err != nil {
			return err
		}
		p, ok, err := x.PartnerOf(pr.Partner)
		if err != nil {
			return err
		}
		if !ok || p.Kind == entitlement.KindVendor {
			return fmt.Errorf("%w: dealreg: %q is not a distributor or dealer", entitlement.ErrInvalid, pr.Partner)
		}
		if (p.Kind == entitlement.KindDistributor) != (pr.Tier == TierDistributor) || pr.Tier < TierRegistered || pr.Tier > TierDistributor {
			return fmt.Errorf("%w: dealreg: partner %s is a %s: tier %s does not fit", entitlement.ErrInvalid, p.ID, p.Kind, pr.Tier)
		}
		for _, list := range [][]string{pr.Regions, pr.Products} {
			for _, v := range list {
				if err := checkText("scope entry", v, 200); err != nil {
					return err
				}
			}
		}
		pr.Regions, pr.Products = slices.Clone(pr.Regions), slices.Clone(pr.Products)
		x.Ref("partner", p.ID)
		x.Note("tier %s, regions %v, products %v", pr.Tier, pr.Regions, pr.Products)
		return x.Put(bProfiles, p.ID, pr)
	})
}

func checkText(what, v string, max int) error {
	if strings.TrimSpace(v) == "" || len(v) > max || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xfffd }) {
		return fmt.Errorf("%w: dealreg: %s %q (1 to %d bytes of text)", entitlement.ErrInvalid, what, v, max)
	}
	return nil
}

// OpportunityKey is the default key of an opportunity: its customer and project names, letters
// folded to lower case and runs of space made one, joined by " / ". Two registrations of one
// customer's project are one opportunity, however the names were typed.
func OpportunityKey(customer, project string) string {
	return foldKey(customer) + " / " + foldKey(project)
}

func foldKey(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), unicode.IsSpace), " ")
}
