package swa

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement"
)

// Terms is the product terms table: for every product that can have Software Assurance, the SWA
// units each term costs. It is data, not code: the guide gives the figures of its screens, the
// vendor supplies the rest ([ParseTerms]). A Terms is read-only and safe for concurrent use.
//
// A product is found for each activated SWA-eligible line of a location: the product that lists
// the line's part (Parts) for the location's system, or else the product without a part list whose
// Systems hold the location's system. A product has one or more tables; the one that applies is
// chosen by the date the product was first activated on the location (the guide shows two
// iS3000/SIP@Net tables: one for systems activated before 2013-06-01, one for the rest).
type Terms struct {
	source   string
	products []Product
}

// Product is one product of the terms table.
type Product struct {
	// Name identifies the product ("SV8300", "iS3000"): the key of its agreements.
	Name string
	// Application is the name the quote screen shows ("SV 8300", "SIP@Net").
	Application string
	// Code is the two characters an agreement number carries for the product: 50<Code>0-….
	Code string
	// Systems are the LMS system types (catalog names) whose locations the product covers.
	Systems []string
	// Parts, when not empty, limits the product to these part numbers (an application on a PBX's
	// location: BCT licenses on an SV9100); without it the product covers every SWA-eligible
	// part on its systems that no other product lists.
	Parts []string
	// RenewalMaxMonths is the longest renewal, in months (the guide's 36).
	RenewalMaxMonths int
	// Tables are the product's unit tables, in the order given.
	Tables []Table
}

// Table is one unit table of a product.
type Table struct {
	// ActivatedBefore, when set, limits the table to locations whose product was first activated
	// before that day; the zero time is the table for every other location.
	ActivatedBefore time.Time
	// EndDateChoice lets an assignment choose its end date instead of a term (the guide's
	// systems activated before 2013-06-01), from MinMonths to the table's longest term.
	EndDateChoice bool
	MinMonths     int // the shortest term an end-date choice may give
	// WaiveReinstatement quotes the reinstatement fee as waived ("a reenlisting fee is applicable
	// but is at this moment waived out").
	WaiveReinstatement bool
	// Terms are the quoted terms in ascending months; the 12-month term is always present.
	Terms []Term
}

// Term is the units one term costs.
type Term struct {
	Months int   // the term's length
	Units  int64 // what it costs in SWA units
}

// Rate12 is the units of the table's 12-month term, the base of the reinstatement fee and of
// renewal units for month counts the table does not list.
func (t Table) Rate12() int64 {
	for _, tm := range t.Terms {
		if tm.Months == 12 {
			return tm.Units
		}
	}
	return 0
}

// MaxMonths is the table's longest term.
func (t Table) MaxMonths() int {
	if len(t.Terms) == 0 {
		return 0
	}
	return t.Terms[len(t.Terms)-1].Months
}

// Units is the units a term of months costs: the table's figure where it lists the month count,
// otherwise lmskit's default ceil(Rate12 × months / 12) (the guide quotes renewals per month
// but prints only its tables' terms).
func (t Table) Units(months int) int64 {
	for _, tm := range t.Terms {
		if tm.Months == months {
			return tm.Units
		}
	}
	if months <= 0 {
		return 0
	}
	return (t.Rate12()*int64(months) + 11) / 12
}

// Table returns the product's table for a location where it was first activated on first.
func (p Product) Table(first time.Time) (Table, bool) {
	var best *Table
	for i := range p.Tables {
		t := &p.Tables[i]
		if t.ActivatedBefore.IsZero() || !first.Before(t.ActivatedBefore) {
			continue
		}
		if best == nil || t.ActivatedBefore.Before(best.ActivatedBefore) {
			best = t
		}
	}
	if best != nil {
		return *best, true
	}
	for _, t := range p.Tables {
		if t.ActivatedBefore.IsZero() {
			return t, true
		}
	}
	return Table{}, false
}

//go:embed data/terms.json
var defaultTerms []byte

// DefaultTerms returns the terms table shipped with lmskit: the guide's own figures, the SV8300
// quote (264/513/753 units for 12/24/36 months) and both iS3000/SIP@Net quotes (59/115/168 for
// 12/24/36 months on a system activated before 2013-06-01, with the end-date choice and the
// reinstatement fee waived; 66/129/189/251/304 for 12 to 60 months otherwise). The guide names no
// part number for SV8300 licenses, so the default catalog has none and the SV8300 table applies
// only with a catalog that adds them.
func DefaultTerms() *Terms {
	t, err := ParseTerms(bytes.NewReader(defaultTerms))
	if err != nil {
		panic("swa: embedded terms: " + err.Error())
	}
	return t
}

// Products returns every product, in the table's order.
func (t *Terms) Products() []Product { return slices.Clone(t.products) }

// Product returns the product of that name.
func (t *Terms) Product(name string) (Product, bool) {
	for _, p := range t.products {
		if p.Name == name {
			return p, true
		}
	}
	return Product{}, false
}

// productFor returns the product covering part on a location of system.
func (t *Terms) productFor(system, part string) (Product, bool) {
	for _, p := range t.products {
		if len(p.Parts) > 0 && slices.Contains(p.Parts, part) && slices.Contains(p.Systems, system) {
			return p, true
		}
	}
	for _, p := range t.products {
		if len(p.Parts) == 0 && slices.Contains(p.Systems, system) {
			return p, true
		}
	}
	return Product{}, false
}

// The JSON form of a terms table (data/terms.json).
type termsFile struct {
	Version  int           `json:"version"`
	Source   string        `json:"source,omitempty"`
	Products []productJSON `json:"products"`
}

type productJSON struct {
	Product          string      `json:"product"`
	Application      string      `json:"application"`
	Code             string      `json:"code"`
	Systems          []string    `json:"systems"`
	Parts            []string    `json:"parts,omitempty"`
	RenewalMaxMonths int         `json:"renewal_max_months,omitempty"`
	Tables           []tableJSON `json:"tables"`
}

type tableJSON struct {
	ActivatedBefore    string     `json:"activated_before,omitempty"`
	EndDateChoice      bool       `json:"end_date_choice,omitempty"`
	MinMonths          int        `json:"min_months,omitempty"`
	WaiveReinstatement bool       `json:"waive_reinstatement,omitempty"`
	Terms              []termJSON `json:"terms"`
}

type termJSON struct {
	Months int   `json:"months"`
	Units  int64 `json:"units"`
}

// Limits of a terms table.
const (
	maxTermsBytes   = 1 << 20
	maxProducts     = 1000
	maxTables       = 16
	maxMonths       = 60 // no agreement runs past 5 years
	maxUnits        = 1_000_000_000
	defaultRenewMax = 36 // the guide's "up to 36 months depending per product"
	termsDateLayout = "2006-01-02"
	maxNameLen      = 64
	maxNames        = 1000
)

// ParseTerms reads a product terms table in the JSON form of data/terms.json:
//
//	{"version": 1, "source": "…", "products": [{"product": "iS3000", "application": "SIP@Net",
//	  "code": "IS", "systems": ["iS3000"], "parts": [], "renewal_max_months": 36,
//	  "tables": [{"activated_before": "2013-06-01", "end_date_choice": true, "min_months": 3,
//	    "waive_reinstatement": true, "terms": [{"months": 12, "units": 59}, …]}, …]}]}
//
// Every product has a unique name, an application name, a two-character code of capital letters
// and digits, at least one system, and one or more tables; renewal_max_months is 12 to 60 (absent:
// 36). A table has terms in ascending months from 1 to 60 with 1 to 1e9 units, always a 12-month
// term; at most one table of a product has no activated_before date (YYYY-MM-DD) and no two have
// the same; min_months (1 up to the table's longest term) goes with end_date_choice only. Two
// products may not both cover a system without a part list, nor list one part on one system.
// Unknown fields, duplicate keys, trailing data and inputs over 1 MiB are errors; every error wraps
// [ErrTerms] and names the product and table at fault. [Terms.MarshalJSON] writes the same form.
func ParseTerms(r io.Reader) (*Terms, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxTermsBytes+1))
	if err != nil {
		return nil, wrapf(ErrTerms, "read: %v", err)
	}
	if len(data) > maxTermsBytes {
		return nil, wrapf(ErrTerms, "larger than %d bytes", maxTermsBytes)
	}
	if err := noDuplicateKeys(data); err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	var f termsFile
	if err := d.Decode(&f); err != nil {
		return nil, wrapf(ErrTerms, "%v", err)
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, wrapf(ErrTerms, "data after the table")
	}
	if f.Version != 1 {
		return nil, wrapf(ErrTerms, "version %d, want 1", f.Version)
	}
	if len(f.Products) == 0 || len(f.Products) > maxProducts {
		return nil, wrapf(ErrTerms, "%d products, want 1 to %d", len(f.Products), maxProducts)
	}
	t := &Terms{source: f.Source}
	for i, pj := range f.Products {
		p, err := parseProduct(pj)
		if err != nil {
			return nil, wrapf(ErrTerms, "product %d (%q): %v", i+1, pj.Product, err)
		}
		for _, q := range t.products {
			if q.Name == p.Name {
				return nil, wrapf(ErrTerms, "product %q listed twice", p.Name)
			}
			if err := overlap(q, p); err != nil {
				return nil, wrapf(ErrTerms, "%v", err)
			}
		}
		t.products = append(t.products, p)
	}
	return t, nil
}

func parseProduct(pj productJSON) (Product, error) {
	p := Product{Name: pj.Product, Application: pj.Application, Code: pj.Code, RenewalMaxMonths: pj.RenewalMaxMonths}
	if err := checkName("product name", p.Name); err != nil {
		return p, err
	}
	if err := checkName("application name", p.Application); err != nil {
		return p, err
	}
	if len(p.Code) != 2 || strings.Trim(p.Code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		return p, fmt.Errorf("code %q: want two capital letters or digits", p.Code)
	}
	if p.RenewalMaxMonths == 0 {
		p.RenewalMaxMonths = defaultRenewMax
	}
	if p.RenewalMaxMonths < 12 || p.RenewalMaxMonths > maxMonths {
		return p, fmt.Errorf("renewal_max_months %d: want 12 to %d", p.RenewalMaxMonths, maxMonths)
	}
	var err error
	if p.Systems, err = names("system", pj.Systems, true); err != nil {
		return p, err
	}
	if p.Parts, err = names("part", pj.Parts, false); err != nil {
		return p, err
	}
	if len(pj.Tables) == 0 || len(pj.Tables) > maxTables {
		return p, fmt.Errorf("%d tables, want 1 to %d", len(pj.Tables), maxTables)
	}
	for i, tj := range pj.Tables {
		tb, err := parseTable(tj)
		if err != nil {
			return p, fmt.Errorf("table %d: %v", i+1, err)
		}
		for _, o := range p.Tables {
			if o.ActivatedBefore.Equal(tb.ActivatedBefore) {
				if tb.ActivatedBefore.IsZero() {
					return p, fmt.Errorf("table %d: a second table without activated_before", i+1)
				}
				return p, fmt.Errorf("table %d: activated_before %s repeated", i+1, tj.ActivatedBefore)
			}
		}
		p.Tables = append(p.Tables, tb)
	}
	return p, nil
}

func parseTable(tj tableJSON) (Table, error) {
	tb := Table{EndDateChoice: tj.EndDateChoice, MinMonths: tj.MinMonths, WaiveReinstatement: tj.WaiveReinstatement}
	if tj.ActivatedBefore != "" {
		d, err := time.Parse(termsDateLayout, tj.ActivatedBefore)
		if err != nil || d.Format(termsDateLayout) != tj.ActivatedBefore {
			return tb, fmt.Errorf("activated_before %q: want a date YYYY-MM-DD", tj.ActivatedBefore)
		}
		tb.ActivatedBefore = d
	}
	if len(tj.Terms) == 0 || len(tj.Terms) > maxMonths {
		return tb, fmt.Errorf("%d terms, want 1 to %d", len(tj.Terms), maxMonths)
	}
	for i, tm := range tj.Terms {
		if tm.Months < 1 || tm.Months > maxMonths {
			return tb, fmt.Errorf("term %d: %d months, want 1 to %d", i+1, tm.Months, maxMonths)
		}
		if i > 0 && tm.Months <= tj.Terms[i-1].Months {
			return tb, fmt.Errorf("term %d: %d months after %d: terms go in ascending months", i+1, tm.Months, tj.Terms[i-1].Months)
		}
		if tm.Units < 1 || tm.Units > maxUnits {
			return tb, fmt.Errorf("term %d (%d months): %d units, want 1 to %d", i+1, tm.Months, tm.Units, maxUnits)
		}
		tb.Terms = append(tb.Terms, Term(tm))
	}
	if tb.Rate12() == 0 {
		return tb, fmt.Errorf("no 12-month term (the base of reinstatement and renewal units)")
	}
	switch {
	case tb.EndDateChoice && (tb.MinMonths < 1 || tb.MinMonths > tb.MaxMonths()):
		return tb, fmt.Errorf("min_months %d: want 1 to %d with end_date_choice", tb.MinMonths, tb.MaxMonths())
	case !tb.EndDateChoice && tb.MinMonths != 0:
		return tb, fmt.Errorf("min_months %d without end_date_choice", tb.MinMonths)
	}
	return tb, nil
}

// overlap refuses two products that would both claim a line.
func overlap(q, p Product) error {
	for _, s := range p.Systems {
		if !slices.Contains(q.Systems, s) {
			continue
		}
		if len(p.Parts) == 0 && len(q.Parts) == 0 {
			return fmt.Errorf("products %q and %q both cover system %q without a part list", q.Name, p.Name, s)
		}
		for _, part := range p.Parts {
			if slices.Contains(q.Parts, part) {
				return fmt.Errorf("products %q and %q both list part %s on system %q", q.Name, p.Name, part, s)
			}
		}
	}
	return nil
}

func checkName(what, s string) error {
	if s == "" || len(s) > maxNameLen {
		return fmt.Errorf("%s %q: want 1 to %d bytes", what, s, maxNameLen)
	}
	if strings.TrimSpace(s) != s {
		return fmt.Errorf("%s %q has leading or trailing space", what, s)
	}
	for i, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return fmt.Errorf("%s %q has an invalid character at byte %d", what, s, i)
		}
	}
	return nil
}

func names(what string, in []string, required bool) ([]string, error) {
	if required && len(in) == 0 {
		return nil, fmt.Errorf("no %ss", what)
	}
	if len(in) > maxNames {
		return nil, fmt.Errorf("more than %d %ss", maxNames, what)
	}
	var out []string
	for _, s := range in {
		if err := checkName(what, s); err != nil {
			return nil, err
		}
		if slices.Contains(out, s) {
			return nil, fmt.Errorf("%s %q listed twice", what, s)
		}
		out = append(out, s)
	}
	return out, nil
}

// noDuplicateKeys refuses a JSON document with a repeated key in any object (encoding/json would
// keep the last one silently).
func noDuplicateKeys(data []byte) error {
	d := json.NewDecoder(bytes.NewReader(data))
	malformed := func(err error) error {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return wrapf(ErrTerms, "malformed JSON: unexpected end of input at offset %d", d.InputOffset())
		}
		return wrapf(ErrTerms, "malformed JSON: %v", err)
	}
	var walk func(depth int) error
	walk = func(depth int) error {
		if depth > 16 {
			return wrapf(ErrTerms, "nested deeper than 16")
		}
		tok, err := d.Token()
		if err != nil {
			return malformed(err)
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return malformed(err)
				}
				key, _ := kt.(string)
				if seen[key] {
					return wrapf(ErrTerms, "key %q repeated at offset %d", key, d.InputOffset())
				}
				seen[key] = true
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
			_, err = d.Token()
		case json.Delim('['):
			for d.More() {
				if err := walk(depth + 1); err != nil {
					return err
				}
			}
			_, err = d.Token()
		}
		if err != nil {
			return malformed(err)
		}
		return nil
	}
	return walk(0)
}

// MarshalJSON writes the table in the form [ParseTerms] reads; parsing the output gives an equal
// table.
func (t *Terms) MarshalJSON() ([]byte, error) {
	f := termsFile{Version: 1, Source: t.source}
	for _, p := range t.products {
		pj := productJSON{Product: p.Name, Application: p.Application, Code: p.Code, Systems: p.Systems, Parts: p.Parts,
			RenewalMaxMonths: p.RenewalMaxMonths}
		for _, tb := range p.Tables {
			tj := tableJSON{EndDateChoice: tb.EndDateChoice, MinMonths: tb.MinMonths, WaiveReinstatement: tb.WaiveReinstatement}
			if !tb.ActivatedBefore.IsZero() {
				tj.ActivatedBefore = tb.ActivatedBefore.Format(termsDateLayout)
			}
			for _, tm := range tb.Terms {
				tj.Terms = append(tj.Terms, termJSON(tm))
			}
			pj.Tables = append(pj.Tables, tj)
		}
		f.Products = append(f.Products, pj)
	}
	return json.Marshal(f)
}

// check refuses a table that names a system or part the ledger's catalog does not know, or a
// listed part that is not SWA-eligible on one of the product's systems.
func (t *Terms) check(cat *entitlement.Catalog) error {
	for _, p := range t.products {
		for _, s := range p.Systems {
			if _, ok := cat.System(s); !ok {
				return wrapf(ErrTerms, "product %q: system %q is not in the catalog", p.Name, s)
			}
		}
		for _, n := range p.Parts {
			part, ok := cat.Part(n)
			if !ok {
				return wrapf(ErrTerms, "product %q: part %s is not in the catalog", p.Name, n)
			}
			if !part.SWA || !slices.ContainsFunc(p.Systems, part.FitsSystem) {
				return wrapf(ErrTerms, "product %q: part %s is not SWA-eligible on any of its systems", p.Name, n)
			}
		}
	}
	return nil
}
