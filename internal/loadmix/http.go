package loadmix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lmskit/lmskit/entitlement/httpapi"
)

// HTTP runs the mix against the API at Base (loopback only) with the administrator's token for
// the setup.
type HTTP struct {
	Base   string       // e.g. http://127.0.0.1:8440
	Admin  string       // the administrator's API token
	Prefix string       // names this run's partners
	Client *http.Client // nil means http.DefaultClient
}

// CheckLoopback refuses a base URL whose host is not a loopback address: the load generator
// sends traffic to this machine only.
func CheckLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("loadmix: %s is not a loopback address: the load generator only targets this machine", host)
	}
	return nil
}

func (d *HTTP) do(ctx context.Context, method, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.Base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c := d.Client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// Setup implements Driver, as InProcess.Setup does over the API (the server must serve its SWA
// book).
func (d *HTTP) Setup(ctx context.Context, client int, code string) (Partner, error) {
	if err := CheckLoopback(d.Base); err != nil {
		return Partner{}, err
	}
	id := fmt.Sprintf("%s-%d", d.Prefix, client)
	user := "user@" + id
	if err := d.do(ctx, "POST", "/v1/partners", d.Admin, httpapi.Partner{ID: id, Name: "Load partner " + id, Kind: "distributor"}, nil); err != nil {
		return Partner{}, err
	}
	if err := d.do(ctx, "POST", "/v1/users", d.Admin, httpapi.User{ID: user, Name: "Load user", Partner: id,
		Roles: []string{"lms_user", "swa_distributor"}}, nil); err != nil {
		return Partner{}, err
	}
	var tok httpapi.IssuedToken
	if err := d.do(ctx, "POST", "/v1/tokens", d.Admin, httpapi.TokenRequest{User: user, Name: "load"}, &tok); err != nil {
		return Partner{}, err
	}
	expires := time.Now().UTC().AddDate(2, 0, 0)
	ord := httpapi.OrderRequest{Partner: id, PO: "PO-" + id, SO: "SO-" + id, ExpiresAt: &expires,
		Lines: []httpapi.OrderLine{{Part: stockPart, Quantity: 1_000_000}}}
	for _, p := range is3000Parts {
		ord.Lines = append(ord.Lines, httpapi.OrderLine{Part: p.part, Quantity: p.qty})
	}
	var sh httpapi.Shipment
	if err := d.do(ctx, "POST", "/v1/orders", d.Admin, ord, &sh); err != nil {
		return Partner{}, err
	}
	var c httpapi.Customer
	if err := d.do(ctx, "POST", "/v1/customers", tok.Secret, httpapi.CustomerRequest{Name: "Load customer"}, &c); err != nil {
		return Partner{}, err
	}
	p := Partner{Token: tok.Secret, Customer: c.ID}
	var picks []httpapi.Pick
	for _, s := range sh.Lines { // the units went to the SWA units bin, not the license bin
		if s.Part == stockPart {
			p.Line = s.ID
		} else {
			picks = append(picks, httpapi.Pick{Line: s.ID, Quantity: s.Shipped})
		}
	}
	var loc httpapi.Location
	if err := d.do(ctx, "POST", "/v1/locations", p.Token, httpapi.LocationRequest{Customer: c.ID, Name: "SWA " + code, System: "iS3000",
		HWKC: is3000Code(code)}, &loc); err != nil {
		return Partner{}, err
	}
	if err := d.do(ctx, "POST", "/v1/locations/"+loc.ID+"/attach", p.Token, httpapi.AttachRequest{Picks: picks}, nil); err != nil {
		return Partner{}, err
	}
	if err := d.do(ctx, "POST", "/v1/locations/"+loc.ID+"/swa/activate", p.Token, httpapi.SWAActivateRequest{AcceptAgreement: true}, nil); err != nil {
		return Partner{}, err
	}
	p.SWALocation = loc.ID
	return p, nil
}

// Round implements Driver: the InProcess mix over the API, plus two requests that only
// authenticate (GET /v1/me).
func (d *HTTP) Round(ctx context.Context, p Partner, code string, t Timer) error {
	var loc httpapi.Location
	if err := t(OpCreateLocation, func() error {
		return d.do(ctx, "POST", "/v1/locations", p.Token, httpapi.LocationRequest{Customer: p.Customer, Name: "Load " + code, System: "SV8100", HWKC: code}, &loc)
	}); err != nil {
		return err
	}
	var lines httpapi.Lines
	if err := t(OpAttach, func() error {
		return d.do(ctx, "POST", "/v1/locations/"+loc.ID+"/attach", p.Token, httpapi.AttachRequest{Picks: []httpapi.Pick{{Line: p.Line, Quantity: 1}}}, &lines)
	}); err != nil {
		return err
	}
	if err := t(OpActivate, func() error {
		return d.do(ctx, "POST", "/v1/locations/"+loc.ID+"/activate", p.Token, httpapi.ActivateRequest{AcceptAgreement: true}, nil)
	}); err != nil {
		return err
	}
	if err := t(OpDownload, func() error { return d.do(ctx, "GET", "/v1/locations/"+loc.ID+"/file", p.Token, nil, nil) }); err != nil {
		return err
	}
	for range 2 {
		if err := t(OpLookupHWKC, func() error { return d.do(ctx, "GET", "/v1/lookups/hwkc/"+code, p.Token, nil, nil) }); err != nil {
			return err
		}
		if err := t(OpLookupSKC, func() error { return d.do(ctx, "GET", "/v1/lookups/skc/"+lines.Lines[0].SKC, p.Token, nil, nil) }); err != nil {
			return err
		}
		if err := t(OpSWAQuote, func() error { return d.do(ctx, "GET", "/v1/locations/"+p.SWALocation+"/swa/quote", p.Token, nil, nil) }); err != nil {
			return err
		}
		if err := t(OpEmpty, func() error { return d.do(ctx, "GET", "/v1/me", p.Token, nil, nil) }); err != nil {
			return err
		}
	}
	return nil
}
