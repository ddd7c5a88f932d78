package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/lmskit/lmskit/entitlement/dealreg"
)

// The vendor's pipeline, which a deal registration must not be in to be accepted, is the
// deployment's CRM (dealreg.Pipeline). This server asks one over HTTP when -deal-pipeline names
// it; without, it keeps no pipeline: no deal is in it, and it says so when it starts.

// noPipeline is the pipeline of a vendor without a CRM: no deal is in it.
type noPipeline struct{}

func (noPipeline) InPipeline(context.Context, dealreg.Registration) (bool, error) { return false, nil }

// pipelineQuery is what the server posts to the CRM's endpoint for each acceptance.
type pipelineQuery struct {
	Registration string   `json:"registration"`
	Partner      string   `json:"partner"`
	RegisteredBy string   `json:"registered_by"`
	Opportunity  string   `json:"opportunity"`
	Customer     string   `json:"customer"`
	Project      string   `json:"project"`
	Region       string   `json:"region"`
	Products     []string `json:"products"`
}

// httpPipeline asks the vendor's CRM over HTTP: it POSTs a pipelineQuery as JSON to url and reads
// {"in_pipeline": true|false} from a 200 answer (other fields are ignored). Any other answer, or
// none within the timeout, refuses the acceptance: the error says why, and the API keeps it in
// the server's log.
type httpPipeline struct {
	url    string
	client *http.Client
}

func newHTTPPipeline(url string) *httpPipeline {
	return &httpPipeline{url: url, client: &http.Client{Timeout: 10 * time.Second}}
}

func (p *httpPipeline) InPipeline(ctx context.Context, r dealreg.Registration) (bool, error) {
	body, err := json.Marshal(pipelineQuery{Registration: r.ID, Partner: r.Partner, RegisteredBy: r.By, Opportunity: r.Opportunity,
		Customer: r.Info.Customer, Project: r.Info.Project, Region: r.Info.Region, Products: append([]string{}, r.Info.Products...)})
	if err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := p.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("deal pipeline: %w", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return false, fmt.Errorf("deal pipeline: reading the answer: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return false, fmt.Errorf("deal pipeline: %s answered %s", p.url, res.Status)
	}
	var ans struct {
		InPipeline *bool `json:"in_pipeline"`
	}
	if err := json.Unmarshal(data, &ans); err != nil {
		return false, fmt.Errorf("deal pipeline: %s answered no JSON object: %v", p.url, err)
	}
	if ans.InPipeline == nil {
		return false, errors.New("deal pipeline: the answer has no in_pipeline")
	}
	return *ans.InPipeline, nil
}
