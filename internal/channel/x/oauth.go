package x

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// credentials are an app's consumer key and secret and the account's
// access token and secret: OAuth 1.0a user context, which X's direct
// message and tweet endpoints accept.
type credentials struct {
	ConsumerKey, ConsumerSecret string
	Token, TokenSecret          string
}

// percentEncode encodes s as RFC 5849 section 3.6 requires: every byte but
// the unreserved characters (ALPHA, DIGIT, "-", ".", "_", "~") becomes
// %XX with upper-case hex. url.QueryEscape differs (space as "+", "~"
// escaped in older releases), so it is not used.
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// baseURI is the request's URL without query and fragment, with its
// scheme and host in lower case and the scheme's default port left out
// (RFC 5849 section 3.4.1.2).
func baseURI(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		host += ":" + p
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// signatureBase is RFC 5849's signature base string: the method, the base
// URI and the normalised parameters (the query's, the protocol's and a
// form body's, each name and value encoded, sorted by name then value),
// each encoded once more and joined with "&". JSON bodies are not signed.
func signatureBase(method string, u *url.URL, oauth, form url.Values) string {
	type pair struct{ k, v string }
	var params []pair
	add := func(vs url.Values) {
		for k, list := range vs {
			for _, v := range list {
				params = append(params, pair{percentEncode(k), percentEncode(v)})
			}
		}
	}
	query, _ := url.ParseQuery(u.RawQuery)
	add(query)
	add(oauth)
	add(form)
	sort.Slice(params, func(i, j int) bool {
		if params[i].k != params[j].k {
			return params[i].k < params[j].k
		}
		return params[i].v < params[j].v
	})
	var norm strings.Builder
	for i, p := range params {
		if i > 0 {
			norm.WriteByte('&')
		}
		norm.WriteString(p.k)
		norm.WriteByte('=')
		norm.WriteString(p.v)
	}
	return strings.ToUpper(method) + "&" + percentEncode(baseURI(u)) + "&" + percentEncode(norm.String())
}

// hmacSHA1 signs a base string with the consumer and token secrets
// (RFC 5849 section 3.4.2), base64-encoded.
func hmacSHA1(base, consumerSecret, tokenSecret string) string {
	mac := hmac.New(sha1.New, []byte(percentEncode(consumerSecret)+"&"+percentEncode(tokenSecret)))
	mac.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// authorization is the Authorization header for a request to u, signed
// with the given nonce and timestamp (Unix seconds).
func (c credentials) authorization(method string, u *url.URL, nonce string, timestamp int64) string {
	oauth := url.Values{
		"oauth_consumer_key":     {c.ConsumerKey},
		"oauth_nonce":            {nonce},
		"oauth_signature_method": {"HMAC-SHA1"},
		"oauth_timestamp":        {strconv.FormatInt(timestamp, 10)},
		"oauth_token":            {c.Token},
		"oauth_version":          {"1.0"},
	}
	oauth.Set("oauth_signature", hmacSHA1(signatureBase(method, u, oauth, nil), c.ConsumerSecret, c.TokenSecret))
	keys := make([]string, 0, len(oauth))
	for k := range oauth {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("OAuth ")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(percentEncode(k) + `="` + percentEncode(oauth.Get(k)) + `"`)
	}
	return b.String()
}

// newNonce returns a random nonce: 16 bytes as hex, only unreserved
// characters, unique per request so X refuses replays.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
