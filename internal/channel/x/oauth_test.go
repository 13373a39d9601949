package x

import (
	"net/url"
	"strings"
	"testing"
)

// The worked examples of RFC 5849 (section 1.2 and the base string of
// section 3.4.1.1) and of X's "Creating a signature" guide.
func TestSignature_PublishedExamples(t *testing.T) {
	for _, tc := range []struct {
		name, method, url           string
		oauth, form                 url.Values
		consumerSecret, tokenSecret string
		base, signature             string
	}{
		{
			name: "RFC 5849 section 1.2, the photo request", method: "GET",
			url: "http://photos.example.net/photos?file=vacation.jpg&size=original",
			oauth: url.Values{"oauth_consumer_key": {"dpf43f3p2l4k3l03"}, "oauth_token": {"nnch734d00sl2jdk"},
				"oauth_signature_method": {"HMAC-SHA1"}, "oauth_timestamp": {"137131202"}, "oauth_nonce": {"chapoH"}},
			consumerSecret: "kd94hf93k423kf44", tokenSecret: "pfkkdhi9sl3r4s00",
			base: "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03" +
				"%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202" +
				"%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal",
			signature: "MdpQcU8iPSUjWoN/UDMsK2sui9I=",
		},
		{
			name: "RFC 5849 section 3.4.1.1, repeated, encoded and empty parameters", method: "POST",
			url: "http://EXAMPLE.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
			oauth: url.Values{"oauth_consumer_key": {"9djdj82h48djs9d2"}, "oauth_token": {"kkk9d7dh3k39sjv7"},
				"oauth_signature_method": {"HMAC-SHA1"}, "oauth_timestamp": {"137131201"}, "oauth_nonce": {"7d8f3e4a"}},
			form: url.Values{"c2": {""}, "a3": {"2 q"}},
			base: "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D" +
				"%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a" +
				"%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7",
		},
		{
			name: "X's guide, a status update", method: "post",
			url: "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
			oauth: url.Values{"oauth_consumer_key": {"xvz1evFS4wEEPTGEFPHBog"}, "oauth_nonce": {"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"},
				"oauth_signature_method": {"HMAC-SHA1"}, "oauth_timestamp": {"1318622958"},
				"oauth_token": {"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"}, "oauth_version": {"1.0"}},
			form:           url.Values{"status": {"Hello Ladies + Gentlemen, a signed OAuth request!"}},
			consumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw", tokenSecret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
			base: "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue" +
				"%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg" +
				"%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958" +
				"%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0" +
				"%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521",
			signature: "hCtSmYh+iHYCEqBWrE7C7hYmtUk=",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			base := signatureBase(tc.method, u, tc.oauth, tc.form)
			if base != tc.base {
				t.Fatalf("base string\n%s\nwant\n%s", base, tc.base)
			}
			if tc.signature == "" {
				return
			}
			if got := hmacSHA1(base, tc.consumerSecret, tc.tokenSecret); got != tc.signature {
				t.Errorf("signature %s, want %s", got, tc.signature)
			}
		})
	}
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"Ladies + Gentlemen": "Ladies%20%2B%20Gentlemen",
		"An encoded string!": "An%20encoded%20string%21",
		"Dogs, Cats & Mice":  "Dogs%2C%20Cats%20%26%20Mice",
		"☃":                  "%E2%98%83",
		"-._~":               "-._~",
		"a/b?c=d":            "a%2Fb%3Fc%3Dd",
	} {
		if got := percentEncode(in); got != want {
			t.Errorf("percentEncode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAuthorization_HeaderCarriesEveryProtocolParameterEncoded(t *testing.T) {
	c := credentials{ConsumerKey: "xvz1evFS4wEEPTGEFPHBog", ConsumerSecret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
		Token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", TokenSecret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"}
	u, _ := url.Parse("https://api.x.com/2/users/me")
	h := c.authorization("GET", u, "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958)
	if !strings.HasPrefix(h, "OAuth ") {
		t.Fatalf("header %q", h)
	}
	for _, want := range []string{`oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog"`, `oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"`,
		`oauth_signature_method="HMAC-SHA1"`, `oauth_timestamp="1318622958"`, `oauth_version="1.0"`,
		`oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"`, `oauth_signature="`} {
		if !strings.Contains(h, want) {
			t.Errorf("header %q lacks %s", h, want)
		}
	}
}
