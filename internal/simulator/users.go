package simulator

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
)

// User is one customer the simulator knows. Every personal value the
// simulator serves (in findCustomerInfo, login, bankList, walletList, ...)
// comes from here, so a test can plant canary values and then prove that none
// of them reaches an artifact.
type User struct {
	// LoginName is what the client sends as loginName. Login also accepts the
	// Email (type 1), the Phone (type 2) or the CustomerNo (type 3).
	LoginName string
	// Password is the plaintext; clients send its lowercase hex MD5.
	Password string

	// CustomerID and CustomerNo identify the customer; zero values are
	// filled deterministically by New.
	CustomerID int64
	CustomerNo string

	Email          string
	Phone          string
	PhoneArea      string
	Name           string
	FirstName      string
	LastName       string
	IDCard         string
	PostalCode     string
	Country        string
	Address        string // served as the bank's address in bankList
	BankCardNumber string // bankList bankCardNumber and bankAccount
	WalletAddress  string // walletList address
}

// DefaultUser is the demo customer served when Options.Users is empty. Its
// credentials are public on purpose (document them): login name
// "demo@example.com", password "demo-password".
func DefaultUser() User {
	return User{
		LoginName:      "demo@example.com",
		Password:       "demo-password",
		CustomerID:     1176,
		CustomerNo:     "86001175",
		Email:          "demo@example.com",
		Phone:          "13800000000",
		PhoneArea:      "+86",
		Name:           "Avery Lindqvist",
		FirstName:      "Avery",
		LastName:       "Lindqvist",
		IDCard:         "D00000000",
		PostalCode:     "100000",
		Country:        "CN",
		Address:        "17 Juniper Lane, Eastbridge",
		BankCardNumber: "6222000000000000000",
		WalletAddress:  "TDemoWalletAddress000000000000000",
	}
}

// customer is a User prepared for serving: its findCustomerInfo object is
// built once, because it never changes and is the hottest response.
type customer struct {
	User
	pwdMD5   string // lowercase hex MD5 of Password
	info     obj    // findCustomerInfo data
	infoJSON []byte // info rendered
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// prepareUsers validates users, fills deterministic ids and builds each
// customer's cached objects.
func prepareUsers(users []User, companyID int64, demo bool) ([]*customer, error) {
	if len(users) == 0 {
		users = []User{DefaultUser()}
	}
	seen := map[string]bool{}
	out := make([]*customer, 0, len(users))
	for i, u := range users {
		if strings.TrimSpace(u.LoginName) == "" {
			return nil, fmt.Errorf("simulator: user %d: empty LoginName", i)
		}
		if u.Password == "" {
			return nil, fmt.Errorf("simulator: user %q: empty Password", u.LoginName)
		}
		if seen[u.LoginName] {
			return nil, fmt.Errorf("simulator: duplicate user %q", u.LoginName)
		}
		seen[u.LoginName] = true
		if u.CustomerID == 0 {
			u.CustomerID = 1176 + int64(i)
		}
		if u.CustomerNo == "" {
			u.CustomerNo = fmt.Sprintf("8600%04d", 1175+i)
		}
		if u.PhoneArea == "" {
			u.PhoneArea = "+86"
		}
		if u.Country == "" {
			u.Country = "CN"
		}
		c := &customer{User: u, pwdMD5: md5Hex(u.Password)}
		c.info = customerInfo(c, companyID)
		if demo {
			c.info = c.info.with("type", 1).with("companyType", "demo")
		}
		c.infoJSON = appendJSON(nil, c.info)
		out = append(out, c)
	}
	return out, nil
}

// matches reports whether loginName names this customer for login type typ
// (1 email, 2 phone, 3 customer account; anything else: the login name only).
func (c *customer) matches(typ int64, loginName string) bool {
	if loginName == "" {
		return false
	}
	if loginName == c.LoginName {
		return true
	}
	switch typ {
	case 1:
		return c.Email != "" && loginName == c.Email
	case 2:
		return c.Phone != "" && loginName == c.Phone
	case 3:
		return loginName == c.CustomerNo
	}
	return false
}

// session is what a token stands for.
type session struct {
	cust      *customer
	companyID string
	expires   time.Time
}

// sessions is the token store. Tokens expire a fixed TTL after login (the
// vendor then answers GATEWAY_CODE_005); expired tokens are purged on login so
// a long-running `sim` does not grow without bound.
type sessions struct {
	mu     sync.Mutex
	byTok  map[string]session
	ttl    time.Duration
	logins int
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{byTok: map[string]session{}, ttl: ttl}
}

// issue creates a token (uuid v4 + "app", the client-token suffix) and an
// rToken (64 hex) for c.
func (s *sessions) issue(c *customer, companyID string, now time.Time) (token, rToken string, err error) {
	var b [16 + 32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("simulator: token entropy: %w", err)
	}
	u := b[:16]
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u)
	token = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32] + "app"
	rToken = hex.EncodeToString(b[16:])

	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins++
	if s.logins%64 == 0 {
		for t, ss := range s.byTok {
			if !now.Before(ss.expires) {
				delete(s.byTok, t)
			}
		}
	}
	s.byTok[token] = session{cust: c, companyID: companyID, expires: now.Add(s.ttl)}
	return token, rToken, nil
}

// lookup returns the live session for token.
func (s *sessions) lookup(token, companyID string, now time.Time) (session, bool) {
	s.mu.Lock()
	ss, ok := s.byTok[token]
	s.mu.Unlock()
	if !ok || !now.Before(ss.expires) || ss.companyID != companyID {
		return session{}, false
	}
	return ss, true
}
