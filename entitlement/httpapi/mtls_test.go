package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lmskit/lmskit/entitlement/httpapi"
)

// certFor makes a certificate for the e-mail address, signed by ca (self-signed when ca is nil).
func certFor(t *testing.T, email string, ca *tls.Certificate) tls.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "test " + email},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), EmailAddresses: []string{email},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	parent, signer := tmpl, any(k)
	if ca == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	} else {
		parent, signer = ca.Leaf, ca.PrivateKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: leaf}
}

// TestClientCertificate: with ClientCertUser set, a verified client certificate authenticates
// the user its e-mail address names; an unverified one or an unknown user does not.
func TestClientCertificate(t *testing.T) {
	e := newEnv(t, func(o *httpapi.Options) { o.ClientCertUser = httpapi.CertEmailUser })
	ca := certFor(t, "ca@vendor", nil)
	rogueCA := certFor(t, "rogue@ca", nil)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Leaf)
	srv := httptest.NewUnstartedServer(e.h)
	srv.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()
	get := func(cert *tls.Certificate) (int, []byte) {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		res, err := (&http.Client{Transport: tr}).Get(srv.URL + "/v1/me")
		if err != nil {
			return 0, []byte(err.Error())
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	good := certFor(t, "ed@distx", &ca)
	status, body := get(&good)
	var me httpapi.Me
	if status != 200 || json.Unmarshal(body, &me) != nil || me.Identity != "ed@distx" {
		t.Fatalf("verified certificate: %d %s", status, body)
	}
	stranger := certFor(t, "stranger@nowhere", &ca)
	if status, body := get(&stranger); status != 401 {
		t.Fatalf("certificate of an unknown user: %d %s", status, body)
	}
	if status, _ := get(nil); status != 401 {
		t.Fatalf("no certificate: %d", status)
	}
	forged := certFor(t, "admin@vendor", &rogueCA)
	if status, _ := get(&forged); status == 200 {
		t.Fatal("a certificate from an untrusted CA authenticated")
	}
}
