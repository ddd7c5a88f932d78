package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// Spec is the JSON an issue command reads: a license.File with text fields.
type Spec struct {
	Serial      string     `json:"serial"`
	Issued      *time.Time `json:"issued,omitempty"` // default: now
	Term        string     `json:"term,omitempty"`   // default: permanent
	NotAfter    *time.Time `json:"not_after,omitempty"`
	Entitlement string     `json:"entitlement,omitempty"`
	Host        struct {
		System       string `json:"system"`
		Code         string `json:"code"`
		Secondary    string `json:"secondary,omitempty"`
		IP           string `json:"ip,omitempty"`
		MAC          string `json:"mac,omitempty"`
		ComputerName string `json:"computer_name,omitempty"`
		Domain       string `json:"domain,omitempty"`
		ProductKey   string `json:"product_key,omitempty"`
	} `json:"host"`
	Lines []struct {
		SKC       string     `json:"skc,omitempty"`
		Part      string     `json:"part"`
		Name      string     `json:"name,omitempty"`
		Kind      string     `json:"kind"`
		Qty       int        `json:"qty"`
		PO        string     `json:"po,omitempty"`
		SO        string     `json:"so,omitempty"`
		Activated *time.Time `json:"activated,omitempty"`
	} `json:"lines"`
}

// file turns the spec into a license.File; errors name the field.
func (s *Spec) file(now time.Time) (*license.File, error) {
	f := &license.File{Serial: s.Serial, Issued: now, Term: license.Permanent, Entitlement: s.Entitlement}
	if s.Issued != nil {
		f.Issued = *s.Issued
	}
	if s.NotAfter != nil {
		f.NotAfter = *s.NotAfter
	}
	if s.Term != "" {
		if err := f.Term.UnmarshalText([]byte(s.Term)); err != nil {
			return nil, fmt.Errorf("term: %w", err)
		}
	}
	sys, ok := keycode.LookupSystem(s.Host.System)
	if !ok {
		return nil, fmt.Errorf("host.system: unknown system %q", s.Host.System)
	}
	h := license.Host{System: sys, ComputerName: s.Host.ComputerName, Domain: s.Host.Domain}
	var err error
	if h.Code, err = keycode.Parse(sys, s.Host.Code); err != nil {
		return nil, fmt.Errorf("host.code: %w", err)
	}
	if s.Host.Secondary != "" {
		if h.Secondary, err = keycode.Parse(sys, s.Host.Secondary); err != nil {
			return nil, fmt.Errorf("host.secondary: %w", err)
		}
	}
	if s.Host.IP != "" {
		if h.IP, err = netip.ParseAddr(s.Host.IP); err != nil {
			return nil, fmt.Errorf("host.ip: %w", err)
		}
	}
	if s.Host.MAC != "" {
		if h.MAC, err = license.ParseMAC(s.Host.MAC); err != nil {
			return nil, fmt.Errorf("host.mac: %w", err)
		}
	}
	if s.Host.ProductKey != "" {
		if h.ProductKey, err = keycode.ParseProductKey(s.Host.ProductKey); err != nil {
			return nil, fmt.Errorf("host.product_key: %w", err)
		}
	}
	f.Host = h
	for i, l := range s.Lines {
		ln := license.Line{SKC: l.SKC, Part: l.Part, Name: l.Name, Qty: l.Qty, PO: l.PO, SO: l.SO}
		if err := ln.Kind.UnmarshalText([]byte(l.Kind)); err != nil {
			return nil, fmt.Errorf("lines[%d].kind: %w", i, err)
		}
		if l.Activated != nil {
			ln.Activated = *l.Activated
		}
		f.Lines = append(f.Lines, ln)
	}
	return f, nil
}

// issue signs a license file from a spec.
func issue(e *env, args []string) error {
	fs := e.newFlags()
	specPath := fs.String("spec", "", "the JSON spec `FILE` of the license (\"-\" for stdin); required")
	keyPath := fs.String("key", "", "the signing key `FILE` (PKCS#8 PEM); required")
	format := fs.String("format", "armor", "armor, svi (<HWKC>-svi.zip), bx (AA_<productkey>_out.zip) or signed (the raw .lic)")
	out := fs.String("out", "", "write to `FILE` (required for the binary formats; armor goes to stdout without it)")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *specPath == "" || *keyPath == "" {
		return usagef("-spec and -key are required")
	}
	switch *format {
	case "armor", "svi", "bx", "signed":
	default:
		return usagef("-format %q: want armor, svi, bx or signed", *format)
	}
	if *format != "armor" && *out == "" {
		return usagef("-format %s writes binary data: give -out FILE", *format)
	}
	b, err := readInputFile(*specPath, 1<<20)
	if err != nil {
		return err
	}
	var spec Spec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return fmt.Errorf("spec %s: %w", *specPath, err)
	}
	f, err := spec.file(time.Now().UTC().Truncate(time.Second))
	if err != nil {
		return fmt.Errorf("spec %s: %w", *specPath, err)
	}
	kb, err := readInputFile(*keyPath, 64<<10)
	if err != nil {
		return err
	}
	key, err := signing.ParsePrivateKeyPEM(kb)
	if err != nil {
		return fmt.Errorf("%s: %w", *keyPath, err)
	}
	signed, err := f.Sign(key)
	if err != nil {
		return err
	}
	var data []byte
	name := ""
	switch *format {
	case "armor":
		data, err = license.Armor(signed)
	case "signed":
		data = signed
	case "svi":
		name, data, err = license.SVIZip(signed)
	case "bx":
		name, data, err = license.BXZip(signed, nil)
	}
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := e.stdout.Write(data)
		return err
	}
	if err := writeNew(*out, data, 0o644, true); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (serial %s, activation code %s", *out, f.Serial, license.ActivationCode(signed))
	if name != "" && name != *out {
		fmt.Fprintf(e.stdout, "; its download name is %s", name)
	}
	fmt.Fprintln(e.stdout, ")")
	return nil
}

// fileView is what inspect and verify show of one file.
type fileView struct {
	Verified       bool           `json:"verified"`
	KeyID          string         `json:"key_id,omitempty"`
	Serial         string         `json:"serial"`
	System         string         `json:"system"`
	Code           string         `json:"code"`
	Secondary      string         `json:"secondary,omitempty"`
	ProductKey     string         `json:"product_key,omitempty"`
	Term           string         `json:"term"`
	Entitlement    string         `json:"entitlement,omitempty"`
	Issued         time.Time      `json:"issued"`
	NotAfter       *time.Time     `json:"not_after,omitempty"`
	ActivationCode string         `json:"activation_code"`
	Lines          []license.Line `json:"lines"`
	Error          string         `json:"error,omitempty"`
	Reason         string         `json:"reason,omitempty"`
}

func viewOf(f *license.File, signed []byte, verified bool) fileView {
	v := fileView{Verified: verified, Serial: f.Serial, System: string(f.Host.System), Code: f.Host.Code.String(),
		Term: f.Term.String(), Entitlement: f.Entitlement, Issued: f.Issued, ActivationCode: license.ActivationCode(signed), Lines: f.Lines}
	if !f.Host.Secondary.IsZero() {
		v.Secondary = f.Host.Secondary.String()
	}
	if !f.Host.ProductKey.IsZero() {
		v.ProductKey = f.Host.ProductKey.String()
	}
	if !f.NotAfter.IsZero() {
		na := f.NotAfter
		v.NotAfter = &na
	}
	return v
}

func (v *fileView) print(e *env) {
	mark := "UNVERIFIED (no key given: nothing here is proven)"
	if v.Verified {
		mark = "verified"
	}
	fmt.Fprintf(e.stdout, "serial:          %s\nsignature:       %s\nsystem:          %s\nhwkc:            %s\n", v.Serial, mark, v.System, v.Code)
	if v.Secondary != "" {
		fmt.Fprintf(e.stdout, "secondary:       %s\n", v.Secondary)
	}
	if v.ProductKey != "" {
		fmt.Fprintf(e.stdout, "product key:     %s\n", v.ProductKey)
	}
	fmt.Fprintf(e.stdout, "term:            %s\n", v.Term)
	if v.Entitlement != "" {
		fmt.Fprintf(e.stdout, "entitlement:     %s\n", v.Entitlement)
	}
	fmt.Fprintf(e.stdout, "issued:          %s\n", v.Issued.Format(time.RFC3339))
	if v.NotAfter != nil {
		fmt.Fprintf(e.stdout, "not after:       %s\n", v.NotAfter.Format(time.RFC3339))
	}
	fmt.Fprintf(e.stdout, "activation code: %s\nlines:           %d\n", v.ActivationCode, len(v.Lines))
	for _, l := range v.Lines {
		fmt.Fprintf(e.stdout, "  %-12s %-7s %6d", l.Part, l.Kind, l.Qty)
		if l.SKC != "" {
			fmt.Fprintf(e.stdout, "  skc %s", l.SKC)
		}
		if l.Name != "" {
			fmt.Fprintf(e.stdout, "  %q", l.Name)
		}
		fmt.Fprintln(e.stdout)
	}
}

// readLicenseInput reads a file in any form a user holds a license.
func readLicenseInput(path string) ([][]byte, license.InputForm, error) {
	b, err := readInputFile(path, license.MaxZipSize)
	if err != nil {
		return nil, 0, err
	}
	files, form, err := license.ReadInput(b)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return files, form, nil
}

// inspect shows what a file holds.
func inspect(e *env, args []string) error {
	fs := e.newFlags()
	keys := keyFlags(fs)
	asJSON := fs.Bool("json", false, "answer in JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	kr, err := keys()
	if err != nil {
		return err
	}
	files, form, err := readLicenseInput(pos[0])
	if err != nil {
		return e.refuse(*asJSON, map[string]any{"ok": false, "error": err.Error()}, err)
	}
	var views []fileView
	var firstErr error
	for _, s := range files {
		var v fileView
		if kr != nil {
			f, err := license.Open(s, kr)
			if err != nil {
				v = fileView{Error: err.Error(), Reason: reasonOf(err)}
				if p, perr := license.PeekFile(s); perr == nil {
					v = viewOf(p, s, false)
					v.Error, v.Reason = err.Error(), reasonOf(err)
				}
				firstErr = cmpOr(firstErr, err)
			} else {
				v = viewOf(f, s, true)
			}
		} else {
			f, err := license.PeekFile(s)
			if err != nil {
				return e.refuse(*asJSON, map[string]any{"ok": false, "error": err.Error()}, err)
			}
			v = viewOf(f, s, false)
		}
		views = append(views, v)
	}
	if *asJSON {
		e.printJSON(map[string]any{"form": form.String(), "ok": firstErr == nil, "files": views})
	} else {
		fmt.Fprintf(e.stdout, "form:            %s, %d file(s)\n", form, len(files))
		for i := range views {
			fmt.Fprintln(e.stdout)
			views[i].print(e)
		}
	}
	if firstErr != nil {
		fmt.Fprintf(e.stderr, "%s: REFUSED (%s): %v\n", e.path, reasonOf(firstErr), firstErr)
		return &silentError{firstErr}
	}
	return nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// reasonOf names the typed reason of a refusal, for scripts.
func reasonOf(err error) string {
	for _, r := range []struct {
		err  error
		name string
	}{
		{license.ErrHostMismatch, "host-mismatch"},
		{license.ErrExpired, "expired"},
		{license.ErrNotYetValid, "not-yet-valid"},
		{signing.ErrRevoked, "revoked-key"},
		{signing.ErrUnknownKey, "unknown-key"},
		{signing.ErrOutsideWindow, "outside-key-window"},
		{signing.ErrSignature, "bad-signature"},
		{signing.ErrAlgorithm, "bad-algorithm"},
		{license.ErrInvalid, "invalid"},
		{license.ErrMalformed, "malformed"},
		{signing.ErrMalformed, "malformed"},
	} {
		if errors.Is(err, r.err) {
			return r.name
		}
	}
	return "error"
}

// verify verifies files against keys and, when a host is given, their binding and term.
func verify(e *env, args []string) error {
	fs := e.newFlags()
	keys := keyFlags(fs)
	sysName := fs.String("system", "", "the host's `SYSTEM`: check the binding (with -code)")
	code := fs.String("code", "", "the host's key `CODE`")
	ip := fs.String("ip", "", "the host's IP `ADDRESS`, for files bound to one")
	mac := fs.String("mac", "", "the host's `MAC`, for files bound to one")
	cname := fs.String("computer-name", "", "the host's Full Computer `NAME`, for files bound to one")
	domain := fs.String("domain", "", "the host's `DOMAIN`, for files bound to one")
	pk := fs.String("product-key", "", "the host's BX/OVOC product `KEY`")
	at := fs.String("at", "", "check the term at `TIME` (RFC 3339) instead of now")
	asJSON := fs.Bool("json", false, "answer in JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	kr, err := keys()
	if err != nil {
		return err
	}
	if kr == nil {
		return usagef("verify needs trusted keys: -keyring FILE or -pub FILE")
	}
	now := time.Now()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return usagef("-at %q: want an RFC 3339 time", *at)
		}
	}
	var host *license.Host
	if *sysName != "" || *code != "" {
		if *sysName == "" || *code == "" {
			return usagef("-system and -code go together")
		}
		sys, ok := keycode.LookupSystem(*sysName)
		if !ok {
			return usagef("unknown system %q", *sysName)
		}
		c, err := keycode.Parse(sys, *code)
		if err != nil {
			return usagef("-code: %v", err)
		}
		h := license.Host{System: sys, Code: c, ComputerName: *cname, Domain: *domain}
		if *ip != "" {
			if h.IP, err = netip.ParseAddr(*ip); err != nil {
				return usagef("-ip: %v", err)
			}
		}
		if *mac != "" {
			if h.MAC, err = license.ParseMAC(*mac); err != nil {
				return usagef("-mac: %v", err)
			}
		}
		if *pk != "" {
			if h.ProductKey, err = keycode.ParseProductKey(*pk); err != nil {
				return usagef("-product-key: %v", err)
			}
		}
		host = &h
	}
	files, form, err := readLicenseInput(pos[0])
	if err != nil {
		return e.refuse(*asJSON, map[string]any{"ok": false, "reason": reasonOf(err), "error": err.Error()}, err)
	}
	var views []fileView
	var firstErr error
	for _, s := range files {
		f, err := license.Open(s, kr)
		if err == nil && host != nil {
			err = f.Check(*host, now)
		}
		var v fileView
		if f != nil {
			v = viewOf(f, s, true)
		}
		if err != nil {
			v.Error, v.Reason = err.Error(), reasonOf(err)
			firstErr = cmpOr(firstErr, err)
		}
		views = append(views, v)
	}
	if *asJSON {
		e.printJSON(map[string]any{"form": form.String(), "ok": firstErr == nil, "files": views})
	}
	if firstErr != nil {
		fmt.Fprintf(e.stderr, "%s: REFUSED (%s): %v\n", e.path, reasonOf(firstErr), firstErr)
		return &silentError{firstErr}
	}
	if !*asJSON {
		for _, v := range views {
			what := "signature"
			if host != nil {
				what = "signature, binding to " + host.Code.String() + " and term at " + now.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(e.stdout, "OK %s: %s verified (activation code %s)\n", v.Serial, what, v.ActivationCode)
		}
	}
	return nil
}

// activationCheck tells whether a code is a file's activation code.
func activationCheck(e *env, args []string) error {
	fs := e.newFlags()
	asJSON := fs.Bool("json", false, "answer in JSON")
	pos, err := parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	files, _, err := readLicenseInput(pos[0])
	if err != nil {
		return e.refuse(*asJSON, map[string]any{"ok": false, "error": err.Error()}, err)
	}
	code, err := license.ParseActivationCode(pos[1])
	if err != nil {
		return e.refuse(*asJSON, map[string]any{"ok": false, "error": err.Error()}, err)
	}
	var actual []string
	for _, s := range files {
		actual = append(actual, license.ActivationCode(s))
		if code.Matches(s) {
			if *asJSON {
				return e.printJSON(map[string]any{"ok": true, "code": code.String()})
			}
			fmt.Fprintf(e.stdout, "OK %s is the activation code of the file\n", code)
			return nil
		}
	}
	err = fmt.Errorf("%s is not the activation code of %s (the file's is %v)", code, pos[0], actual)
	return e.refuse(*asJSON, map[string]any{"ok": false, "code": code.String(), "actual": actual}, err)
}
