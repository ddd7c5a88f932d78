package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/lmskit/lmskit/examples/internal/keyringfile"
	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/signing"
)

// keygen makes a signing key. The private key goes to a file only (mode 0600, never overwritten
// unless -force); stdout gets the public key and its id.
func keygen(e *env, args []string) error {
	fs := e.newFlags()
	out := fs.String("out", "", "write the private key (PKCS#8 PEM, mode 0600) to `FILE`; required")
	pub := fs.String("pub", "", "also write the public key (PEM) to `FILE`")
	force := fs.Bool("force", false, "overwrite existing files")
	asJSON := fs.Bool("json", false, "answer in JSON")
	if _, err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *out == "" {
		return usagef("-out is required: the private key is written to a file, never to the terminal")
	}
	k, err := signing.GenerateKey(nil)
	if err != nil {
		return err
	}
	if err := writeNew(*out, k.MarshalPEM(), 0o600, *force); err != nil {
		return err
	}
	pubPEM := k.Public().MarshalPEM()
	if *pub != "" {
		if err := writeNew(*pub, pubPEM, 0o644, *force); err != nil {
			return err
		}
	}
	if *asJSON {
		return e.printJSON(map[string]string{"key_id": k.Public().KeyID().String(), "public_key": string(pubPEM), "private_key_file": *out})
	}
	fmt.Fprintf(e.stdout, "key id: %s\nprivate key: %s (mode 0600; keep it secret)\n%s", k.Public().KeyID(), *out, pubPEM)
	return nil
}

// writeNew writes a file that must not exist yet (unless force), with the mode given.
func writeNew(path string, data []byte, mode os.FileMode, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, mode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists; use -force to overwrite it", path)
	}
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// keyFlags adds -keyring and -pub to fs; the function it returns loads the keys they name (nil
// when neither is given).
func keyFlags(fs *flag.FlagSet) func() (*signing.Keyring, error) {
	keyring := fs.String("keyring", "", "trust the keys of this keyring `FILE` (see the README's keyring format)")
	var pubs multi
	fs.Var(&pubs, "pub", "trust this public key `FILE` (PEM); may repeat")
	return func() (*signing.Keyring, error) { return loadKeys(*keyring, pubs) }
}

// loadKeys builds the keyring of a command from -keyring and -pub flags.
func loadKeys(keyring string, pubs []string) (*signing.Keyring, error) {
	switch {
	case keyring != "" && len(pubs) > 0:
		return nil, usagef("give -keyring or -pub, not both")
	case keyring != "":
		kr, err := keyringfile.Load(keyring)
		if err != nil {
			return nil, err
		}
		return kr.Keyring, nil
	case len(pubs) > 0:
		kr := signing.NewKeyring()
		for _, p := range pubs {
			b, err := readInputFile(p, keyringfile.MaxSize)
			if err != nil {
				return nil, err
			}
			k, err := signing.ParsePublicKeyPEM(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if err := kr.Add(k.KeyID().Bytes(), k, signing.Window{}); err != nil {
				return nil, err
			}
		}
		return kr, nil
	}
	return nil, nil
}

// multi is a flag that may be given more than once.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// hostidParse tells what a key code is.
func hostidParse(e *env, args []string) error {
	fs := e.newFlags()
	sysName := fs.String("system", "", "the `SYSTEM` type the code is for (as LMS names it: SV8500, \"License Manager Client\", ...); without it, the one system whose grammar accepts the code")
	asJSON := fs.Bool("json", false, "answer in JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	input := pos[0]
	var sys keycode.System
	if *sysName != "" {
		s, ok := keycode.LookupSystem(*sysName)
		if !ok {
			return usagef("unknown system %q (see 'lmskit hostid detect' for the names)", *sysName)
		}
		sys = s
	} else {
		cands := keycode.Detect(input)
		switch len(cands) {
		case 0:
			return e.refuse(*asJSON, map[string]any{"input": input, "ok": false, "error": "no system's grammar accepts it"},
				fmt.Errorf("%q is no system's key code; give -system to see where it goes wrong", input))
		case 1:
			sys = cands[0]
		default:
			names := make([]string, len(cands))
			for i, c := range cands {
				names[i] = string(c)
			}
			return e.refuse(*asJSON, map[string]any{"input": input, "ok": false, "systems": names, "error": "ambiguous"},
				fmt.Errorf("%q fits %d systems (%s); give -system", input, len(cands), strings.Join(names, ", ")))
		}
	}
	c, err := keycode.Parse(sys, input)
	if err != nil {
		var pe *keycode.ParseError
		ans := map[string]any{"input": input, "system": string(sys), "ok": false, "error": err.Error()}
		if errors.As(err, &pe) {
			ans["offset"], ans["want"] = pe.Offset, pe.Want
			if pe.Suggest != 0 {
				ans["suggest"] = string(pe.Suggest)
			}
			if !*asJSON {
				fmt.Fprintf(e.stderr, "  %s\n  %s^ want %s", pe.Input, strings.Repeat(" ", pe.Offset), pe.Want)
				if pe.Suggest != 0 {
					fmt.Fprintf(e.stderr, " (did you mean %q?)", pe.Suggest)
				}
				fmt.Fprintln(e.stderr)
			}
		}
		return e.refuse(*asJSON, ans, err)
	}
	ans := struct {
		Input  string `json:"input"`
		OK     bool   `json:"ok"`
		System string `json:"system"`
		Code   string `json:"code"`
		Form   string `json:"form"`
		LMC    string `json:"lmc,omitempty"`
		PBX    string `json:"pbx,omitempty"`
		Check  string `json:"check,omitempty"`
	}{Input: input, OK: true, System: string(c.System()), Code: c.String(), Form: c.Form().String()}
	if lm, err := c.LMC(); err == nil && lm != c {
		ans.LMC = lm.String()
	}
	if p, err := c.PBX(); err == nil && p != c {
		ans.PBX = p.String()
	}
	switch err := c.Verify(); {
	case err == nil:
		ans.Check = "lmskit check characters hold"
	case !errors.Is(err, keycode.ErrNoCheck):
		ans.Check = err.Error() // a derived form mistyped, or made by another issuer
	}
	if *asJSON {
		return e.printJSON(ans)
	}
	fmt.Fprintf(e.stdout, "system: %s\ncode:   %s\nform:   %s\n", ans.System, ans.Code, ans.Form)
	if ans.LMC != "" {
		fmt.Fprintf(e.stdout, "LMC:    %s (the code application licenses are bound to)\n", ans.LMC)
	}
	if ans.PBX != "" {
		fmt.Fprintf(e.stdout, "PBX:    %s\n", ans.PBX)
	}
	if ans.Check != "" {
		fmt.Fprintf(e.stdout, "check:  %s\n", ans.Check)
	}
	return nil
}

// hostidDetect lists the systems whose grammar accepts a code.
func hostidDetect(e *env, args []string) error {
	fs := e.newFlags()
	asJSON := fs.Bool("json", false, "answer in JSON")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	var out []map[string]string
	for _, s := range keycode.Detect(pos[0]) {
		c, err := keycode.Parse(s, pos[0])
		if err != nil {
			continue
		}
		out = append(out, map[string]string{"system": string(s), "code": c.String(), "form": c.Form().String()})
	}
	if len(out) == 0 {
		return e.refuse(*asJSON, map[string]any{"input": pos[0], "systems": []string{}}, fmt.Errorf("%q is no system's key code", pos[0]))
	}
	if *asJSON {
		return e.printJSON(map[string]any{"input": pos[0], "systems": out})
	}
	for _, m := range out {
		fmt.Fprintf(e.stdout, "%-28s %s (%s)\n", m["system"], m["code"], m["form"])
	}
	return nil
}
