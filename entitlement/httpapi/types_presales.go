package httpapi

import (
	"slices"
	"time"

	"github.com/lmskit/lmskit/entitlement"
	"github.com/lmskit/lmskit/entitlement/presales"
)

// The types of temporary (pre-sales expansion) licenses (package entitlement/presales, the
// second vendor's "Pre-sales Expansion License Application") that cross the wire, under the
// conventions of types.go. Approval steps are numbered from 1.

// PartValue is an incremental value: a quantity of a part (a version number of a version part, 1
// for a flag).
type PartValue struct {
	Part     string `json:"part"`
	Quantity int64  `json:"quantity"`
}

// PresalesPart is a part a temporary license of a product may hold.
type PresalesPart struct {
	Part string `json:"part"`
	Name string `json:"name"`
	Kind string `json:"kind" enum:"count,version,flag"`
}

// PresalesProduct is a product temporary licenses are applied for.
type PresalesProduct struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Parts       []PresalesPart `json:"parts"`
	Template    []PartValue    `json:"template" doc:"the enterprise part template's incremental values; empty: the product has none, and every application for it is approved"`
	SelfService bool           `json:"self_service" doc:"the applicant downloads the license itself; otherwise the vendor's staff distribute it, after approval"`
}

// ApprovalStep is one step of the approval: a vendor user holding any of its roles approves it.
type ApprovalStep struct {
	Step  int      `json:"step"`
	Name  string   `json:"name"`
	Roles []string `json:"roles" enum:"project_contact,channel_manager,regional_director"`
}

// PresalesPolicy is the Enterprise Temporary License Policy the server applies.
type PresalesPolicy struct {
	ApprovalFree int               `json:"approval_free" doc:"an application skips approval only while its ESN's application count is below this (and its products qualify)"`
	Days         []int             `json:"days" doc:"the validity periods an application may choose"`
	Approval     []ApprovalStep    `json:"approval"`
	Products     []PresalesProduct `json:"products"`
}

// DeviceRequest adds a device by its ESN.
type DeviceRequest struct {
	ESN string `json:"esn" doc:"8 to 40 letters and digits, as the ESN rules allow"`
}

// Device is a device (an NE) known by its ESN, with its application count.
type Device struct {
	ESN          string    `json:"esn"`
	AddedAt      time.Time `json:"added_at"`
	AddedBy      string    `json:"added_by"`
	Applications int       `json:"applications" doc:"the ESN's application count (the NE binding table's ESN Application Times)"`
}

// ProductRequest is a product of an application with its incremental values.
type ProductRequest struct {
	Product     string      `json:"product"`
	UseTemplate bool        `json:"use_template,omitempty" doc:"the product's enterprise part template was selected"`
	Values      []PartValue `json:"values" doc:"with the template, its values as left or changed; without, the parts wanted"`
}

// TemporaryLicenseRequest applies for a temporary license.
type TemporaryLicenseRequest struct {
	ESN        string           `json:"esn" doc:"a known device (add it first)"`
	Customer   string           `json:"customer,omitempty" doc:"a customer of the caller's partner; or set no_customer"`
	NoCustomer bool             `json:"no_customer,omitempty" doc:"No related customer information"`
	Days       int              `json:"days" doc:"30, 60, 90, 120 or 180"`
	Products   []ProductRequest `json:"products"`
	From       string           `json:"from,omitempty" doc:"the historical process number the request was filled in from"`
}

// Approval is one approver's decision.
type Approval struct {
	Step int       `json:"step"`
	User string    `json:"user"`
	Time time.Time `json:"time"`
	Note string    `json:"note,omitempty"`
}

// TemporaryLicenseFile describes an issued temporary license without its bytes.
type TemporaryLicenseFile struct {
	Serial   uint64    `json:"serial"`
	Name     string    `json:"name" doc:"download file name"`
	IssuedAt time.Time `json:"issued_at"`
	NotAfter time.Time `json:"not_after"`
	Type     string    `json:"type" enum:"C" doc:"C, pre-sales expansion"`
	Size     int       `json:"size"`
	Download string    `json:"download" doc:"path of the download"`
}

// TemporaryLicense is an application for a temporary license and what became of it.
type TemporaryLicense struct {
	Number             string                `json:"number" doc:"the process number, TL-<n>"`
	Partner            string                `json:"partner"`
	Applicant          string                `json:"applicant"`
	ESN                string                `json:"esn"`
	Customer           string                `json:"customer,omitempty"`
	NoCustomer         bool                  `json:"no_customer"`
	Days               int                   `json:"days"`
	Products           []ProductRequest      `json:"products"`
	From               string                `json:"from,omitempty"`
	SubmittedAt        time.Time             `json:"submitted_at"`
	Status             string                `json:"status" enum:"pending,issued,rejected"`
	ApprovalFree       bool                  `json:"approval_free" doc:"the application skipped approval"`
	ApplicationsBefore int                   `json:"applications_before" doc:"the ESN's application count before this one, which the approval decision read"`
	WaitingStep        int                   `json:"waiting_step,omitempty" doc:"while pending: the approval step it waits at"`
	WaitingFor         string                `json:"waiting_for,omitempty" doc:"while pending: that step's name"`
	Approvals          []Approval            `json:"approvals"`
	Reason             string                `json:"reason,omitempty" doc:"why it was rejected"`
	SelfService        bool                  `json:"self_service" doc:"every product allows self-service download"`
	File               *TemporaryLicenseFile `json:"file,omitempty" doc:"the issued license: a fixed-term file of type C bound to the ESN"`
}

// ApprovalRequest approves the step an application waits at.
type ApprovalRequest struct {
	Note string `json:"note,omitempty"`
}

// PresalesRolesRequest replaces a vendor user's approval roles.
type PresalesRolesRequest struct {
	Roles []string `json:"roles" enum:"project_contact,channel_manager,regional_director"`
}

// StaffRoles is a vendor user's roles in a book.
type StaffRoles struct {
	User  string   `json:"user"`
	Roles []string `json:"roles"`
}

var presalesRoleNames = []flagName[presales.Role]{{presales.RoleProjectContact, "project_contact"},
	{presales.RoleChannelManager, "channel_manager"}, {presales.RoleRegionalDirector, "regional_director"}}

var presalesStatusNames = map[presales.Status]string{presales.Pending: "pending", presales.Issued: "issued", presales.Rejected: "rejected"}

func toPresalesPolicy(p presales.Policy) PresalesPolicy {
	steps := p.Approval
	if steps == nil {
		steps = presales.DefaultApproval
	}
	out := PresalesPolicy{ApprovalFree: p.ApprovalFree, Days: slices.Clone(presales.Days), Approval: []ApprovalStep{},
		Products: mapSlice(p.Products, func(pr presales.Product) PresalesProduct {
			return PresalesProduct{ID: pr.ID, Name: pr.Name, SelfService: pr.SelfService, Template: mapSlice(pr.Template, toPartValue),
				Parts: mapSlice(pr.Parts, func(pt presales.Part) PresalesPart {
					return PresalesPart{Part: pt.Part, Name: pt.Name, Kind: pt.Kind.String()}
				})}
		})}
	for i, s := range steps {
		out.Approval = append(out.Approval, ApprovalStep{Step: i + 1, Name: s.Name, Roles: flagList(s.Roles, presalesRoleNames)})
	}
	return out
}

func toPartValue(v presales.Value) PartValue { return PartValue{Part: v.Part, Quantity: v.Qty} }

func toDevice(d presales.Device) Device {
	return Device{ESN: d.ESN, AddedAt: d.Added.UTC(), AddedBy: d.AddedBy, Applications: d.Applications}
}

func toProductRequest(p presales.ProductRequest) ProductRequest {
	return ProductRequest{Product: p.Product, UseTemplate: p.UseTemplate, Values: mapSlice(p.Values, toPartValue)}
}

func (r TemporaryLicenseRequest) presales() presales.Request {
	return presales.Request{ESN: r.ESN, Customer: r.Customer, NoCustomer: r.NoCustomer, Days: r.Days, From: r.From,
		Products: mapSlice(r.Products, func(p ProductRequest) presales.ProductRequest {
			return presales.ProductRequest{Product: p.Product, UseTemplate: p.UseTemplate,
				Values: mapSlice(p.Values, func(v PartValue) presales.Value { return presales.Value{Part: v.Part, Qty: v.Quantity} })}
		})}
}

func toPresalesRequest(r presales.Request) TemporaryLicenseRequest {
	return TemporaryLicenseRequest{ESN: r.ESN, Customer: r.Customer, NoCustomer: r.NoCustomer, Days: r.Days, From: r.From,
		Products: mapSlice(r.Products, toProductRequest)}
}

func (h *Handler) toTemporaryLicense(a presales.Application) TemporaryLicense {
	out := TemporaryLicense{Number: a.Number, Partner: a.Partner, Applicant: a.Applicant, ESN: a.ESN, Customer: a.Customer, NoCustomer: a.NoCustomer,
		Days: a.Days, Products: mapSlice(a.Products, toProductRequest), From: a.From, SubmittedAt: a.Submitted.UTC(),
		Status: presalesStatusNames[a.Status], ApprovalFree: a.ApprovalFree, ApplicationsBefore: a.Count, Reason: a.Reason, SelfService: a.SelfService,
		Approvals: mapSlice(a.Approvals, func(ap presales.Approval) Approval {
			return Approval{Step: ap.Step + 1, User: ap.User, Time: ap.Time.UTC(), Note: ap.Note}
		})}
	if a.Status == presales.Pending {
		out.WaitingStep = a.Step + 1
		if a.Step >= 0 && a.Step < len(h.presalesPolicy.Approval) {
			out.WaitingFor = h.presalesPolicy.Approval[a.Step].Name
		}
	}
	if a.File != nil {
		out.File = toTemporaryFile(*a.File, "/v1/temporary-licenses/applications/"+a.Number+"/file")
	}
	return out
}

func toTemporaryFile(f entitlement.Issued, download string) *TemporaryLicenseFile {
	return &TemporaryLicenseFile{Serial: f.Serial, Name: f.Name, IssuedAt: f.Issued.UTC(), NotAfter: f.NotAfter.UTC(), Type: string(f.Type),
		Size: len(f.Data), Download: download}
}
