package entitlement

import (
	"context"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lmskit/lmskit/keycode"
)

const bSource = "src" // n16(shipped line) \x00 skc: the lines taken from a shipped line

const (
	recentAttached  = "att"
	recentActivated = "act"
)

func recentKey(partner, list string, seq uint64) string {
	var b strings.Builder // one allocation: every activated line moves between two lists
	b.Grow(len(partner) + len(list) + 2*len(sep) + 8)
	b.WriteString(partner)
	b.WriteString(sep)
	b.WriteString(list)
	b.WriteString(sep)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], math.MaxUint64-seq)
	b.Write(n[:])
	return b.String()
}

func (o *op) newSKC(sys System) (string, error) {
	for range 8 {
		skc, err := keycode.NewSoftwareKeyCode(o.l.rand, sys.SKC)
		if err != nil {
			return "", err
		}
		code := skc.String()
		if _, ok, err := probe(o.tx, bSKC, code); err != nil {
			return "", err
		} else if !ok {
			return code, nil
		}
	}
	return "", wrapf(ErrCorrupt, "software key code generator keeps repeating codes")
}

// Attach attaches bin quantities to a location: each pick with Qty > 0 becomes one attached [Line]
// with a fresh software key code; Qty 0 skips a line, a lower quantity leaves the rest in the bin.
// Picks may come from several purchase orders. Every part must fit the location's system and the
// lines must be in the bin of the location's partner. The system's [Rules] are consulted. All or
// nothing.
func (l *Ledger) Attach(ctx context.Context, a Actor, location string, picks []Pick) ([]Line, error) {
	var out []Line
	err := l.update(ctx, a, "attach", func(o *op) error {
		var err error
		out, err = o.attach(location, picks) // built afresh on every run of the function
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (o *op) attach(location string, picks []Pick) ([]Line, error) {
	l := o.l
	if err := o.lmsUser("attach licenses"); err != nil {
		return nil, err
	}
	loc, err := o.location(location)
	if err != nil {
		return nil, err
	}
	if loc.Partner != o.partner.ID {
		return nil, notAllowed("%s may not attach its bin to location %s of another partner", o.actor, loc.ID)
	}
	sys, _ := l.cat.System(loc.System)
	lines, qty, err := o.takePicks(picks, "attach")
	if err != nil {
		return nil, err
	}
	adding := make([]Line, len(lines))
	for i, s := range lines {
		part, ok := l.cat.Part(s.Part)
		if !ok {
			return nil, wrapf(ErrInvalid, "line %d: part %s is not in the catalog", s.ID, s.Part)
		}
		if part.SWAUnits {
			return nil, wrapf(ErrInvalid, "line %d: %s is SWA units, not a license", s.ID, s.Part)
		}
		if !part.FitsSystem(loc.System) {
			return nil, wrapf(ErrInvalid, "line %d: part %s (%s) does not fit system %s", s.ID, s.Part, part.Name, loc.System)
		}
		if !s.NotAfter.IsZero() {
			if !s.NotAfter.After(o.now) {
				return nil, wrapf(ErrState, "line %d (%s): its %s entitlement ended %s", s.ID, s.Part, s.EntitlementType().Name(), s.NotAfter.Format(time.RFC3339))
			}
			if err := o.fixedTermFits(loc); err != nil {
				return nil, wrapf(ErrInvalid, "line %d (%s, type %s): %v", s.ID, s.Part, s.Type, err)
			}
		}
		adding[i] = Line{Location: loc.ID, Source: s.ID, Part: s.Part, Qty: qty[i], State: StateAttached,
			PO: s.PO, SO: s.SO, Partner: s.Partner, AttachedAt: o.now, Type: s.Type, NotAfter: s.NotAfter}
	}
	if r := l.cfg.Rules[loc.System]; r != nil {
		if err := ruleErr(r.Attach(ruleView{o}, loc, slices.Clone(adding))); err != nil {
			return nil, err
		}
	}
	o.ref("location", loc.ID)
	res := make([]Line, 0, len(lines))
	for i, s := range lines {
		before := s
		s.InBin -= qty[i]
		s.Attached += qty[i]
		if err := o.saveLine(&before, s); err != nil {
			return nil, err
		}
		ln, err := o.addLine(sys, adding[i])
		if err != nil {
			return nil, err
		}
		res = append(res, ln)
	}
	return res, nil
}

// linesOf loads the named lines of a location; nil skcs means every line in state want.
func (o *op) linesOf(loc Location, skcs []string, want LineState) ([]Line, error) {
	if skcs == nil {
		all, err := o.locLines(loc.ID)
		if err != nil {
			return nil, err
		}
		var out []Line
		for _, ln := range all {
			if ln.State == want {
				out = append(out, ln)
			}
		}
		return out, nil
	}
	if len(skcs) > 10000 {
		return nil, wrapf(ErrInvalid, "more than 10000 lines selected")
	}
	seen := map[string]bool{}
	out := make([]Line, 0, len(skcs))
	for _, code := range skcs {
		if seen[code] {
			return nil, wrapf(ErrInvalid, "software key code %s selected twice", code)
		}
		seen[code] = true
		if code == "" || strings.Contains(code, sep) {
			return nil, wrapf(ErrInvalid, "software key code %q", code)
		}
		ln, ok, err := o.lineAt(loc.ID, code)
		if err != nil {
			return nil, err
		}
		if !ok || ln.Location != loc.ID {
			return nil, wrapf(ErrNotFound, "software key code %s on location %s", code, loc.ID)
		}
		if ln.State != want {
			return nil, wrapf(ErrState, "line %s is %s, not %s", code, ln.State, want)
		}
		out = append(out, ln)
	}
	return out, nil
}

// Detach returns attached lines (by software key code) of a location to the bin they came from.
// Activated lines cannot be detached.
func (l *Ledger) Detach(ctx context.Context, a Actor, location string, skcs []string) error {
	return l.update(ctx, a, "detach", func(o *op) error { return o.detach(location, skcs) })
}

func (o *op) detach(location string, skcs []string) error {
	if err := o.lmsUser("detach licenses"); err != nil {
		return err
	}
	loc, err := o.location(location)
	if err != nil {
		return err
	}
	if err := o.partnerOnly(loc, "detach licenses from"); err != nil {
		return err
	}
	if len(skcs) == 0 {
		return wrapf(ErrInvalid, "nothing selected to detach")
	}
	lines, err := o.linesOf(loc, skcs, StateAttached)
	if err != nil {
		return err
	}
	o.ref("location", loc.ID)
	for _, ln := range lines {
		s, err := o.shipped(ln.Source)
		if err != nil {
			return err
		}
		before := s
		s.Attached -= ln.Qty
		s.InBin += ln.Qty
		if err := o.saveLine(&before, s); err != nil {
			return err
		}
		o.ref("skc", ln.SKC)
		for _, del := range [][2]string{{bSKC, ln.SKC}, {bLocLines, lineKey(loc.ID, ln.SKC)}, {bSource, k(n16(s.ID), ln.SKC)},
			{bRecent, recentKey(ln.Partner, recentAttached, ln.Recent)}} {
			if err := o.tx.Delete(del[0], del[1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// Activation is a request to activate attached lines.
type Activation struct {
	// SKCs are the attached lines to activate; nil means every attached line of the location.
	SKCs []string
	// AcceptAgreement must be true: the user accepted the license agreement ("licenses once
	// activated cannot be deactivated or returned").
	AcceptAgreement bool
}

// Activate turns attached lines into activated ones for good and issues the location's license file
// from all its activated lines. All or nothing: if a rule refuses or the file cannot be issued,
// nothing changes. Returns the issued file for download.
func (l *Ledger) Activate(ctx context.Context, a Actor, location string, act Activation) (Issued, error) {
	var out Issued
	err := l.update(ctx, a, "activate", func(o *op) error {
		var err error
		out, err = o.activate(location, act)
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	return out, nil
}

func (o *op) activate(location string, act Activation) (Issued, error) {
	l := o.l
	if err := o.lmsUser("activate licenses"); err != nil {
		return Issued{}, err
	}
	if !act.AcceptAgreement {
		return Issued{}, ErrAgreement
	}
	if act.SKCs != nil && len(act.SKCs) == 0 {
		return Issued{}, wrapf(ErrInvalid, "nothing selected to activate")
	}
	loc, err := o.location(location)
	if err != nil {
		return Issued{}, err
	}
	if err := o.partnerOnly(loc, "activate licenses on"); err != nil {
		return Issued{}, err
	}
	// Every line of the location is read once: the attached ones are activated, and all of them
	// are what the files are issued from.
	var all, lines []Line
	var at []int // lines[i] is all[at[i]]
	if act.SKCs == nil {
		if all, err = o.locLines(loc.ID); err != nil {
			return Issued{}, err
		}
		for i, ln := range all {
			if ln.State == StateAttached {
				lines, at = append(lines, ln), append(at, i)
			}
		}
	} else if lines, err = o.linesOf(loc, act.SKCs, StateAttached); err != nil {
		return Issued{}, err
	}
	if len(lines) == 0 {
		return Issued{}, wrapf(ErrState, "location %s has no attached lines", loc.ID)
	}
	for _, ln := range lines {
		if o.ended(ln) {
			return Issued{}, wrapf(ErrState, "line %s (%s): its %s entitlement ended %s", ln.SKC, ln.Part, ln.EntitlementType().Name(), ln.NotAfter.Format(time.RFC3339))
		}
	}
	if r := l.cfg.Rules[loc.System]; r != nil {
		if err := ruleErr(r.Activate(ruleView{o}, loc, slices.Clone(lines))); err != nil {
			return Issued{}, err
		}
	}
	external := l.external(loc.System)
	if l.cfg.Issuer == nil && !external {
		return Issued{}, wrapf(ErrState, "no issuer configured: cannot issue the license file")
	}
	o.ref("location", loc.ID)
	if err := o.activateLines(lines); err != nil {
		return Issued{}, err
	}
	if external {
		// The file comes from outside (AttachExternalFile); until then it is pending.
		return Issued{Location: loc.ID, Pending: true, Warnings: o.warnings}, nil
	}
	for i, j := range at {
		all[j] = lines[i]
	}
	f, err := o.issue(loc, all)
	f.Warnings = o.warnings
	return f, err
}

// activateLines activates attached lines (in place: lines holds them activated afterwards): their
// quantities move from attached to activated on the shipped lines, and each line moves from the
// recently attached list to the recently activated one.
func (o *op) activateLines(lines []Line) error {
	for i := range lines {
		ln := &lines[i]
		s, err := o.shipped(ln.Source)
		if err != nil {
			return err
		}
		before := s
		s.Attached -= ln.Qty
		s.Activated += ln.Qty
		if err := o.saveLine(&before, s); err != nil {
			return err
		}
		if err := o.tx.Delete(bRecent, recentKey(ln.Partner, recentAttached, ln.Recent)); err != nil {
			return err
		}
		ln.State, ln.ActivatedAt = StateActivated, o.now
		if ln.Recent, err = o.next("recent"); err != nil {
			return err
		}
		if err := o.putRecent(recentActivated, *ln); err != nil {
			return err
		}
		if err := o.indexTerm(*ln); err != nil {
			return err
		}
		o.ref("skc", ln.SKC)
		if err := o.putLine(*ln); err != nil {
			return err
		}
	}
	return nil
}

// prepareIssue runs the system's PrepareIssue hook on a copy of the request and keeps what the hook
// may change: the attributes of the location and of the pair it names (a child of the location,
// saved here).
func (o *op) prepareIssue(ir IssueRules, loc Location, req IssueRequest) (Location, *Location, error) {
	req.Location = cloneLocation(loc)
	req.Pair = nil
	if err := ruleErr(ir.PrepareIssue(ruleView{o}, &req)); err != nil {
		return loc, nil, err
	}
	loc.Attrs = slices.Clone(req.Location.Attrs)
	if req.Pair == nil {
		return loc, nil, nil
	}
	var pair Location
	if ok, err := getRec(o.tx, bLocs, req.Pair.ID, &pair); err != nil {
		return loc, nil, err
	} else if !ok || pair.Parent != loc.ID {
		return loc, nil, wrapf(ErrRule, "the rules of %s named pair %q, which is not a child location of %s", loc.System, req.Pair.ID, loc.ID)
	}
	if !slices.Equal(pair.Attrs, req.Pair.Attrs) {
		pair.Attrs = slices.Clone(req.Pair.Attrs)
		if err := o.putRec(bLocs, pair.ID, pair); err != nil {
			return loc, nil, err
		}
	}
	return loc, &pair, nil
}

// Regenerate re-issues a location's license file from all its activated lines, with the next
// serial, for example after a lost file.
func (l *Ledger) Regenerate(ctx context.Context, a Actor, location string) (Issued, error) {
	var out Issued
	err := l.update(ctx, a, "regenerate", func(o *op) error {
		var err error
		out, err = o.regenerate(location)
		return err
	})
	if err != nil {
		return Issued{}, err
	}
	return out, nil
}

func (o *op) regenerate(location string) (Issued, error) {
	if err := o.lmsUser("regenerate license files"); err != nil {
		return Issued{}, err
	}
	loc, err := o.location(location)
	if err != nil {
		return Issued{}, err
	}
	o.ref("location", loc.ID)
	return o.issue(loc, nil)
}

// Download returns the location's download: its permanent file and every current fixed-term file
// (one per entitlement type and end date, those that ended left out), in one container. With one
// file it is that file as issued; with several, the [Issuer] packs them ([Packer]; for
// [LicenseIssuer] the <HWKC>-svi.zip of the license package holding every file), and Contents
// lists them. A location with no file yet is refused with ErrState.
func (l *Ledger) Download(ctx context.Context, a Actor, location string) (Issued, error) {
	var f Issued
	err := l.view(ctx, a, "download", func(o *op) error {
		if err := o.lmsUser("download license files"); err != nil {
			return err
		}
		loc, err := o.location(location)
		if err != nil {
			return err
		}
		f, err = o.download(loc, nil)
		return err
	})
	return f, err
}

// GenerateDemo issues a demo file for a location: every part of the system's demo set from the
// catalog with its demo quantity, valid for Config.DemoTerm from now. It uses one of the location's
// demo licenses; with none left, or a system without a demo set, it is refused with ErrNoDemo.
func (l *Ledger) GenerateDemo(ctx context.Context, a Actor, location string) (Issued, error) {
	var out Issued
	err := l.update(ctx, a, "generate demo", func(o *op) error {
		if err := o.lmsUser("generate demo licenses"); err != nil {
			return err
		}
		loc, err := o.location(location)
		if err != nil {
			return err
		}
		if err := o.partnerOnly(loc, "generate a demo license for"); err != nil {
			return err
		}
		if loc.DemosLeft <= 0 {
			return wrapf(ErrNoDemo, "location %s has no demo licenses left", loc.ID)
		}
		parts := l.cat.DemoParts(loc.System)
		if len(parts) == 0 {
			return wrapf(ErrNoDemo, "the catalog has no demo set for system %s: an operator's catalog adds one by giving "+
				"parts of the system a \"demo\" quantity (ParseCatalog, Config.Catalog)", loc.System)
		}
		if l.cfg.Issuer == nil {
			return wrapf(ErrState, "no issuer configured: cannot issue the demo file")
		}
		sys, _ := l.cat.System(loc.System)
		loc.DemosLeft--
		loc.FileSerial++
		req := IssueRequest{Location: loc, System: sys, Serial: loc.FileSerial, Issued: o.now, NotAfter: o.now.Add(l.cfg.DemoTerm), Demo: true,
			Container: l.container(loc.System)}
		for _, p := range parts {
			code, err := o.newSKC(sys)
			if err != nil {
				return err
			}
			req.Lines = append(req.Lines, IssueLine{SKC: code, Part: p.Number, Name: p.Name, Kind: p.Kind, Qty: p.Demo,
				PO: "DEMO", SO: "DEMO", Activated: o.now})
		}
		slices.SortFunc(req.Lines, func(x, y IssueLine) int { return strings.Compare(x.SKC, y.SKC) })
		f, err := l.cfg.Issuer.Issue(req)
		if err != nil {
			return wrapf(ErrState, "issuing the demo file of %s: %v", loc.ID, err)
		}
		f.Location, f.Serial, f.Issued, f.Demo, f.NotAfter = loc.ID, loc.FileSerial, o.now, true, req.NotAfter
		o.ref("location", loc.ID)
		o.ref("file", f.Name)
		if err := o.putRec(bLocs, loc.ID, loc); err != nil {
			return err
		}
		out = f
		return o.putFile(bDemos, k(loc.ID, n16(f.Serial)), f, sviFromIssuer(l.cfg.Issuer, req.Container))
	})
	if err != nil {
		return Issued{}, err
	}
	return out, nil
}

// DemoFiles returns the demo files issued for a location, oldest first, for download again.
func (l *Ledger) DemoFiles(ctx context.Context, a Actor, location string) ([]Issued, error) {
	var out []Issued
	err := l.view(ctx, a, "demo files", func(o *op) error {
		if err := o.lmsUser("download demo files"); err != nil {
			return err
		}
		if _, err := o.location(location); err != nil {
			return err
		}
		return o.tx.Scan(bDemos, location+sep, func(_ string, v []byte) (bool, error) {
			f, err := readFullFile(v)
			if err != nil {
				return false, err
			}
			out = append(out, f)
			return true, nil
		})
	})
	return out, err
}
