package voice

// Test credentials.
const (
	testCTIToken   = "cti-token-for-the-tests-0123456789"
	testAccountSID = "AC00112233445566778899aabbccddeeff"
	testAuthToken  = "twilio-auth-token-for-tests"
)
