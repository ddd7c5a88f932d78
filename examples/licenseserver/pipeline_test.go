package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/dealreg"
	"github.com/lmskit/lmskit/entitlement/httpapi"
	"github.com/lmskit/lmskit/entitlement/presales"
)

// TestHTTPPipeline: the CRM endpoint gets the registration and its answer decides; anything but a
// 200 with in_pipeline is an error (which refuses the acceptance), never "not in the pipeline".
func TestHTTPPipeline(t *testing.T) {
	var got pipelineQuery
	answer, status := `{"in_pipeline":true,"crm_id":"OPP-7"}`, 200
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %q", r.Method, r.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Error(err)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	defer crm.Close()
	p := newHTTPPipeline(crm.URL)
	reg := dealreg.Registration{ID: "DR-3", Partner: "dealery", By: "distx", Opportunity: "acme / phones",
		Info: dealreg.Info{Customer: "Acme", Project: "Phones", Region: "EU", Products: []string{"SV9500"}}}
	in, err := p.InPipeline(context.Background(), reg)
	if err != nil || !in {
		t.Fatalf("in %v, %v", in, err)
	}
	if got.Registration != "DR-3" || got.RegisteredBy != "distx" || got.Opportunity != "acme / phones" || got.Products[0] != "SV9500" {
		t.Fatalf("the CRM got %+v", got)
	}
	answer = `{"in_pipeline":false}`
	if in, err := p.InPipeline(context.Background(), reg); err != nil || in {
		t.Fatalf("in %v, %v", in, err)
	}
	for _, c := range []struct {
		answer string
		status int
		want   string
	}{{`{"in_pipeline":false}`, 500, "500"}, {`{}`, 200, "no in_pipeline"}, {`<html>`, 200, "no JSON"}, {`{"in_pipeline":"no"}`, 200, "no JSON"}} {
		answer, status = c.answer, c.status
		if _, err := p.InPipeline(context.Background(), reg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %d: %v", c.answer, c.status, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.InPipeline(ctx, reg); err == nil {
		t.Error("a cancelled request answered")
	}
	if in, err := (noPipeline{}).InPipeline(ctx, reg); in || err != nil {
		t.Error("no pipeline holds a deal")
	}
}

// TestSamplePresalesPolicy: the policy file the README starts the server with is valid.
func TestSamplePresalesPolicy(t *testing.T) {
	f, err := os.Open("presales-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := httpapi.ParsePresalesPolicy(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Products) != 2 || p.ApprovalFree != 1 {
		t.Fatalf("%+v", p)
	}
	if _, err := presales.New(entitlement.New(entitlement.NewMemStore(), entitlement.Config{}), p); err != nil {
		t.Fatal(err)
	}
}
