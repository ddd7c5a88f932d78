package lifecycle

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/internal/extop"
	"github.com/lmskit/lmskit/license"
)

// The third-party machine: licenses the vendor buys from a third party for an order. They are
// kept in this package's own records, not in the license bin: the ledger neither issues nor
// counts them.

// ThirdPartyRequest registers a third-party entitlement: what was ordered, for which partner.
type ThirdPartyRequest struct {
	Partner  string // the partner (distributor or dealer) the entitlement is for
	Location string // optional: the partner's location it is for
	PO, SO   string
	Product  string // the third-party product, as the vendor names it
	Part     string // the vendor's part number of it
	Qty      int64
	// Type and NotAfter are its entitlement type ("" means T) and, for a fixed-term type, its end.
	Type     license.EntitlementType
	NotAfter time.Time
}

// ThirdPartyEntitlement is a third-party entitlement and its delivery.
type ThirdPartyEntitlement struct {
	ID       string                  `cbor:"1,keyasint" json:"id"` // "3P-<n>"
	Partner  string                  `cbor:"2,keyasint" json:"partner"`
	Location string                  `cbor:"3,keyasint,omitempty" json:"location,omitempty"`
	PO       string                  `cbor:"4,keyasint" json:"po"`
	SO       string                  `cbor:"5,keyasint" json:"so"`
	Product  string                  `cbor:"6,keyasint" json:"product"`
	Part     string                  `cbor:"7,keyasint" json:"part"`
	Qty      int64                   `cbor:"8,keyasint" json:"qty"`
	Type     license.EntitlementType `cbor:"9,keyasint,omitempty" json:"type,omitempty"`
	NotAfter time.Time               `cbor:"10,keyasint,omitzero" json:"not_after,omitzero"`
	Status   Status                  `cbor:"11,keyasint" json:"status"`
	// File is the license file from the third party (Ready (3rd)) or the electronic backup of
	// a medium (Medium Delivery E (3rd)); nil otherwise.
	File *ThirdPartyFile `cbor:"12,keyasint,omitempty" json:"file,omitempty"`
	// Reapplied counts the lost files applied for again.
	Reapplied int       `cbor:"13,keyasint,omitempty" json:"reapplied,omitempty"`
	Created   time.Time `cbor:"14,keyasint" json:"created"`
	History   []Change  `cbor:"15,keyasint" json:"history"`
}

// ThirdPartyFile is a third-party license file.
type ThirdPartyFile struct {
	Name string `cbor:"1,keyasint" json:"name"`
	Data []byte `cbor:"2,keyasint" json:"data"`
}

// Change is one move of an entitlement's delivery, as its history shows it.
type Change struct {
	Time time.Time `cbor:"1,keyasint" json:"time"`
	By   string    `cbor:"2,keyasint" json:"by"` // the actor's identity
	Move Move      `cbor:"3,keyasint" json:"move"`
	From Status    `cbor:"4,keyasint" json:"from"`
	To   Status    `cbor:"5,keyasint" json:"to"`
	Note string    `cbor:"6,keyasint,omitempty" json:"note,omitempty"`
}

func byPartnerKey(partner, id string) string { return partner + "\x01" + id }

// loadThird loads a third-party entitlement the actor may see: its partner's, or any for an
// administrator; another's is entitlement.ErrNotFound, as an unknown one.
func loadThird(x *entitlement.Op, id string) (ThirdPartyEntitlement, error) {
	var e ThirdPartyEntitlement
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "\x00\x01") {
		return e, fmt.Errorf("%w: lifecycle: third-party entitlement %q", entitlement.ErrNotFound, id)
	}
	ok, err := x.Get(bucketThird, id, &e)
	if err != nil {
		return e, err
	}
	if !ok || !x.Visible(e.Partner) {
		return ThirdPartyEntitlement{}, fmt.Errorf("%w: lifecycle: third-party entitlement %q", entitlement.ErrNotFound, id)
	}
	return e, nil
}

// moveThird makes a move on a third-party entitlement inside an operation: the table's check,
// the role, the history, the audit reference; apply changes what else the move changes.
func moveThird(x *entitlement.Op, id string, mv Move, to Status, note string, apply func(e *ThirdPartyEntitlement) error) (ThirdPartyEntitlement, error) {
	e, err := loadThird(x, id)
	if err != nil {
		return e, err
	}
	next, err := check(ThirdParty, e.ID, e.Status, mv, to)
	if err != nil {
		return e, err
	}
	if err := needRole(x, mv, e.Partner); err != nil {
		return e, err
	}
	if apply != nil {
		if err := apply(&e); err != nil {
			return e, err
		}
	}
	e.History = append(e.History, Change{Time: x.Now(), By: x.Actor().String(), Move: mv, From: e.Status, To: next, Note: note})
	e.Status = next
	x.Ref("third-party", e.ID)
	return e, x.Put(bucketThird, e.ID, e)
}

// needRole checks the table's role of a third-party move: the administrator for the vendor's moves,
// the partner's own LMS user for its downloads and re-applications.
func needRole(x *entitlement.Op, mv Move, partner string) error {
	for _, t := range transitions {
		if t.Machine != ThirdParty || t.Move != mv {
			continue
		}
		if t.Role == roleAdmin {
			return x.Need(entitlement.RoleAdmin, mv.String()+" third-party entitlements")
		}
		if err := x.LMSUser(mv.String() + " third-party entitlements"); err != nil {
			return err
		}
		if x.Partner().ID != partner {
			return fmt.Errorf("%w: lifecycle: %s may not %s another partner's entitlement", entitlement.ErrNotAllowed, x.Actor(), mv)
		}
		return nil
	}
	return fmt.Errorf("%w: lifecycle: move %s is no third-party move", entitlement.ErrInvalid, mv)
}

// RegisterThirdParty registers a third-party entitlement for a partner (administrator only): the
// move Register (none → Activation). The partner must exist and not be the vendor, the location
// (if named) must be the partner's, and the text fields are checked as the ledger's identifiers.
// One audited operation ("register third-party entitlement").
func RegisterThirdParty(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, req ThirdPartyRequest) (ThirdPartyEntitlement, error) {
	var out ThirdPartyEntitlement
	err := l.Update(ctx, a, "register third-party entitlement", func(x *entitlement.Op) error {
		if err := x.Need(entitlement.RoleAdmin, "register third-party entitlements"); err != nil {
			return err
		}
		p, ok, err := x.PartnerOf(req.Partner)
		if err != nil {
			return err
		}
		if !ok || p.Kind == entitlement.KindVendor {
			return fmt.Errorf("%w: lifecycle: partner %q is not a distributor or dealer", entitlement.ErrInvalid, req.Partner)
		}
		for _, f := range [][2]string{{"purchase order", req.PO}, {"sales order", req.SO}, {"product", req.Product}, {"part", req.Part}} {
			if err := checkField(f[0], f[1]); err != nil {
				return err
			}
		}
		if req.Qty <= 0 || req.Qty > 1e9 {
			return fmt.Errorf("%w: lifecycle: quantity %d, want 1 to 1e9", entitlement.ErrInvalid, req.Qty)
		}
		t := req.Type
		if t == "" {
			t = license.TypeCommerce
		}
		switch {
		case !t.IsValid():
			return fmt.Errorf("%w: lifecycle: entitlement type %q", entitlement.ErrInvalid, req.Type)
		case t.FixedTerm() == req.NotAfter.IsZero():
			return fmt.Errorf("%w: lifecycle: type %s with end %v: a fixed-term type has an end and T none", entitlement.ErrInvalid, t, req.NotAfter)
		}
		if req.Location != "" {
			loc, err := x.Location(req.Location)
			if err != nil {
				return err
			}
			if loc.Partner != p.ID {
				return fmt.Errorf("%w: lifecycle: location %s is not partner %s's", entitlement.ErrInvalid, loc.ID, p.ID)
			}
		}
		n, err := x.Next("lifecycle.3p")
		if err != nil {
			return err
		}
		out = ThirdPartyEntitlement{ID: "3P-" + strconv.FormatUint(n, 10), Partner: p.ID, Location: req.Location, PO: req.PO, SO: req.SO,
			Product: req.Product, Part: req.Part, Qty: req.Qty, Type: req.Type, NotAfter: req.NotAfter.UTC().Truncate(time.Second),
			Status: Activation, Created: x.Now()}
		if out.Type == license.TypeCommerce {
			out.Type = ""
		}
		out.History = []Change{{Time: x.Now(), By: x.Actor().String(), Move: MoveRegister, To: Activation}}
		x.Ref("third-party", out.ID)
		if err := x.Put(bucketThird, out.ID, out); err != nil {
			return err
		}
		return x.Put(bucketByP, byPartnerKey(p.ID, out.ID), struct{}{})
	})
	return out, err
}

func checkField(what, v string) error {
	if v == "" || len(v) > 200 || strings.TrimSpace(v) != v || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xfffd }) {
		return fmt.Errorf("%w: lifecycle: %s %q (1 to 200 bytes, no control characters, no surrounding space)", entitlement.ErrInvalid, what, v)
	}
	return nil
}

// checkFile checks a third-party file.
func checkFile(name string, data []byte) error {
	if err := checkField("file name", name); err != nil || strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("%w: lifecycle: file name %q", entitlement.ErrInvalid, name)
	}
	if len(data) == 0 || len(data) > entitlement.MaxExternalFile {
		return fmt.Errorf("%w: lifecycle: file of %d bytes (1 byte to 4 MiB)", entitlement.ErrInvalid, len(data))
	}
	return nil
}

// StartPurchase records that the vendor started buying the license (administrator only): the move
// Start purchase (Activation → In Purchase). One audited operation ("start third-party purchase").
func StartPurchase(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, id string) (ThirdPartyEntitlement, error) {
	return extop.Update(ctx, l, a, "start third-party purchase", func(x *entitlement.Op) (ThirdPartyEntitlement, error) {
		return moveThird(x, id, MoveStartPurchase, 0, "", nil)
	})
}

// Purchase records the purchased license with its file (administrator only): the move Purchased
// (In Purchase → Ready (3rd)); the partner can download it and [EventThirdPartyReady] tells it. The
// file is 1 byte to 4 MiB with a plain name. One audited operation ("third-party purchased").
func Purchase(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, id, name string, file []byte) (ThirdPartyEntitlement, error) {
	return extop.Update(ctx, l, a, "third-party purchased", func(x *entitlement.Op) (ThirdPartyEntitlement, error) {
		if err := checkFile(name, file); err != nil {
			return ThirdPartyEntitlement{}, err
		}
		e, err := moveThird(x, id, MovePurchased, 0, name, func(e *ThirdPartyEntitlement) error {
			e.File = &ThirdPartyFile{Name: name, Data: slices.Clone(file)}
			return nil
		})
		if err == nil {
			x.Emit(readyEvent(e))
		}
		return e, err
	})
}

// DeliverOnMedium records that the license went with the main equipment as a medium
// (administrator only): the move Deliver on medium, to Medium Delivery N (3rd) when backup is nil
// (no electronic backup: nothing to download) or to Medium Delivery E (3rd) with backup as its
// electronic copy, which the partner can then download ([EventThirdPartyReady]). One audited
// operation ("third-party medium delivery").
func DeliverOnMedium(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, id, backupName string, backup []byte) (ThirdPartyEntitlement, error) {
	return extop.Update(ctx, l, a, "third-party medium delivery", func(x *entitlement.Op) (ThirdPartyEntitlement, error) {
		to := MediumDeliveryN
		if backup != nil {
			to = MediumDeliveryE
			if err := checkFile(backupName, backup); err != nil {
				return ThirdPartyEntitlement{}, err
			}
		}
		e, err := moveThird(x, id, MoveDeliverMedium, to, backupName, func(e *ThirdPartyEntitlement) error {
			if backup != nil {
				e.File = &ThirdPartyFile{Name: backupName, Data: slices.Clone(backup)}
			}
			return nil
		})
		if err == nil && to == MediumDeliveryE {
			x.Emit(readyEvent(e))
		}
		return e, err
	})
}

func readyEvent(e ThirdPartyEntitlement) entitlement.Event {
	return entitlement.Event{Kind: EventThirdPartyReady, Partner: e.Partner, Location: e.Location, PO: e.PO, SO: e.SO, Ref: e.ID,
		Lines:  []entitlement.OrderLine{{Part: e.Part, Qty: e.Qty, Type: e.Type, NotAfter: e.NotAfter}},
		Detail: "the license of " + e.Product + " can be downloaded"}
}

// DownloadThirdParty hands the license file to the partner's own LMS user and closes the
// entitlement: the move Download (Ready (3rd) or Medium Delivery E (3rd) → Closed (3rd)). A
// closed entitlement's file is not handed out again: a lost file is applied for again
// ([ReapplyLost]). One audited operation ("download third-party license").
func DownloadThirdParty(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, id string) (ThirdPartyFile, error) {
	var f ThirdPartyFile
	_, err := extop.Update(ctx, l, a, "download third-party license", func(x *entitlement.Op) (ThirdPartyEntitlement, error) {
		return moveThird(x, id, MoveDownload, 0, "", func(e *ThirdPartyEntitlement) error {
			if e.File == nil {
				return fmt.Errorf("%w: lifecycle: %s has no file", entitlement.ErrCorrupt, e.ID)
			}
			f = ThirdPartyFile{Name: e.File.Name, Data: slices.Clone(e.File.Data)}
			return nil
		})
	})
	if err != nil {
		return ThirdPartyFile{}, err
	}
	return f, nil
}

// ReapplyLost applies again for a license whose file was lost (the partner's own LMS user): the
// move Re-apply for a lost file (Closed (3rd) → In Purchase (3rd)); the old file is dropped, the
// vendor buys a new one. reason is required. One audited operation ("re-apply third-party
// license").
func ReapplyLost(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, id, reason string) (ThirdPartyEntitlement, error) {
	return extop.Update(ctx, l, a, "re-apply third-party license", func(x *entitlement.Op) (ThirdPartyEntitlement, error) {
		if err := checkReason(reason); err != nil {
			return ThirdPartyEntitlement{}, err
		}
		return moveThird(x, id, MoveReapplyLost, 0, reason, func(e *ThirdPartyEntitlement) error {
			e.File = nil
			e.Reapplied++
			return nil
		})
	})
}

// ThirdPartyOf returns a third-party entitlement the actor may see.
func ThirdPartyOf(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, id string) (ThirdPartyEntitlement, error) {
	return extop.View(ctx, l, a, "third-party entitlement", "see entitlements", func(x *entitlement.Op) (ThirdPartyEntitlement, error) {
		return loadThird(x, id)
	})
}

// ThirdParties returns the third-party entitlements of a partner the actor may see (its own, or
// any for an administrator), in id order. The cost is proportional to the partner's entitlements.
func ThirdParties(ctx context.Context, l *entitlement.Ledger, a entitlement.Actor, partner string) ([]ThirdPartyEntitlement, error) {
	var out []ThirdPartyEntitlement
	err := l.View(ctx, a, "third-party entitlements", func(x *entitlement.Op) error {
		if err := x.LMSUser("see entitlements"); err != nil {
			return err
		}
		if !x.Visible(partner) || strings.ContainsAny(partner, "\x00\x01") {
			return fmt.Errorf("%w: partner %q", entitlement.ErrNotFound, partner)
		}
		out = nil
		prefix := partner + "\x01"
		return x.Scan(bucketByP, prefix, func(key string, _ func(any) error) (bool, error) {
			e, err := loadThird(x, key[len(prefix):])
			if err != nil {
				return false, err
			}
			out = append(out, e)
			return true, nil
		})
	})
	slices.SortFunc(out, func(a, b ThirdPartyEntitlement) int {
		return compareIDs(a.ID, b.ID)
	})
	return out, err
}

// compareIDs orders "3P-<n>" ids by n.
func compareIDs(a, b string) int {
	na, _ := strconv.ParseUint(strings.TrimPrefix(a, "3P-"), 10, 64)
	nb, _ := strconv.ParseUint(strings.TrimPrefix(b, "3P-"), 10, 64)
	switch {
	case na < nb:
		return -1
	case na > nb:
		return 1
	}
	return 0
}
