package livetest

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EC2Server speaks EC2's Query API as AWS documents it: form-encoded POSTs naming an Action,
// XML answers with <item> lists and a nextToken per page, and throttling as HTTP 503 with the
// error code RequestLimitExceeded. The estate it serves is held in the keys the AWS CLI
// prints (the export files of features/inventory/testdata), converted to the wire's element
// names on the way out.
type EC2Server struct {
	mu           sync.Mutex
	Regions      []string
	Reservations map[string][]any // by region
	Groups       map[string][]any
	ENIs         map[string][]any
	PageSize     int // items a page when the request sets no MaxResults
	// throttle, when set, is asked before each request (numbered from 1) whether to answer
	// RequestLimitExceeded instead.
	Throttle func(n int) bool
	// BaseKeyID is the access key of the caller's own credentials; AccessKeyID the one
	// Describe* calls must be signed with: the same, or, with RoleARN set, the key that
	// AssumeRole (STS's Query API, served here too) hands out for that role.
	BaseKeyID, AccessKeyID, RoleARN string
	Requests                        int
	Throttled                       int
	Actions                         map[string]int
}

func NewEC2Server(regions ...string) *EC2Server {
	return &EC2Server{Regions: regions, BaseKeyID: "AKIDRISKMAPTEST", AccessKeyID: "AKIDRISKMAPTEST", Reservations: map[string][]any{}, Groups: map[string][]any{},
		ENIs: map[string][]any{}, PageSize: 1, Actions: map[string]int{}}
}

// LoadCLI reads an `aws ec2 describe-*` export into region's estate.
func (s *EC2Server) LoadCLI(t testing.TB, region, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string][]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Reservations[region] = append(s.Reservations[region], doc["Reservations"]...)
	s.Groups[region] = append(s.Groups[region], doc["SecurityGroups"]...)
	s.ENIs[region] = append(s.ENIs[region], doc["NetworkInterfaces"]...)
}

// Edit runs f on the estate under the lock (a resource disappears, an address moves).
func (s *EC2Server) Edit(f func(s *EC2Server)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *EC2Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.Form.Get("Action")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests++
	s.Actions[action]++
	key := s.AccessKeyID
	if action == "AssumeRole" {
		key = s.BaseKeyID
	}
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+key+"/") {
		ec2Error(w, http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials")
		return
	}
	// The region is in the SigV4 credential scope: AKID/date/REGION/SERVICE/aws4_request.
	scope := strings.Split(strings.SplitN(auth, "Credential=", 2)[1], "/")
	region := scope[2]
	if action == "AssumeRole" {
		s.assumeRole(w, r)
		return
	}
	if s.Throttle != nil && s.Throttle(s.Requests) {
		s.Throttled++
		ec2Error(w, http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded.")
		return
	}
	if !strings.HasPrefix(action, "Describe") {
		ec2Error(w, http.StatusBadRequest, "UnauthorizedOperation", "riskmap's test server serves Describe* only, got "+action)
		return
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<%sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-%d</requestId>`, action, s.Requests)
	switch action {
	case "DescribeRegions":
		b.WriteString("<regionInfo>")
		for _, reg := range s.Regions {
			fmt.Fprintf(&b, "<item><regionName>%s</regionName><regionEndpoint>ec2.%s.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>", reg, reg)
		}
		b.WriteString("</regionInfo>")
	case "DescribeInstances":
		s.page(&b, r, "reservationSet", "Reservations", s.Reservations[region])
	case "DescribeSecurityGroups":
		s.page(&b, r, "securityGroupInfo", "SecurityGroups", s.Groups[region])
	case "DescribeNetworkInterfaces":
		s.page(&b, r, "networkInterfaceSet", "NetworkInterfaces", s.ENIs[region])
	default:
		ec2Error(w, http.StatusBadRequest, "InvalidAction", "unknown action "+action)
		return
	}
	fmt.Fprintf(&b, "</%sResponse>", action)
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = w.Write([]byte(b.String()))
}

// assumeRole answers STS AssumeRole for RoleARN with temporary credentials for AccessKeyID.
func (s *EC2Server) assumeRole(w http.ResponseWriter, r *http.Request) {
	if s.RoleARN == "" || r.Form.Get("RoleArn") != s.RoleARN {
		ec2Error(w, http.StatusForbidden, "AccessDenied", "not authorized to perform sts:AssumeRole on "+r.Form.Get("RoleArn"))
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
		`<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey><SessionToken>role-token</SessionToken>`+
		`<Expiration>%s</Expiration></Credentials><AssumedRoleUser><Arn>%s/%s</Arn><AssumedRoleId>AROARISKMAP:%s</AssumedRoleId></AssumedRoleUser>`+
		`</AssumeRoleResult><ResponseMetadata><RequestId>req-%d</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		s.AccessKeyID, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), html.EscapeString(s.RoleARN),
		html.EscapeString(r.Form.Get("RoleSessionName")), html.EscapeString(r.Form.Get("RoleSessionName")), s.Requests)
}

func (s *EC2Server) page(b *strings.Builder, r *http.Request, element, ctx string, items []any) {
	start, _ := strconv.Atoi(r.Form.Get("NextToken"))
	size := s.PageSize
	if m, err := strconv.Atoi(r.Form.Get("MaxResults")); err == nil {
		size = m
	}
	end := min(start+size, len(items))
	fmt.Fprintf(b, "<%s>", element)
	for _, it := range items[start:end] {
		xmlValue(b, "item", ctx, it)
	}
	fmt.Fprintf(b, "</%s>", element)
	if end < len(items) {
		fmt.Fprintf(b, "<nextToken>%d</nextToken>", end)
	}
}

func ec2Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>req-err</RequestID></Response>`,
		code, html.EscapeString(msg))
}

// wireNames are the elements whose wire name is not the CLI key with a lower-case first
// letter, by the CLI key of the object they are in.
var wireNames = map[string]map[string]string{
	"Reservations": {"Instances": "instancesSet", "Groups": "groupSet"},
	"Instances": {"PublicDnsName": "dnsName", "PublicIpAddress": "ipAddress", "State": "instanceState",
		"SecurityGroups": "groupSet", "Tags": "tagSet", "NetworkInterfaces": "networkInterfaceSet",
		"BlockDeviceMappings": "blockDeviceMapping"},
	"NetworkInterfaces": {"PrivateIpAddresses": "privateIpAddressesSet", "Ipv6Addresses": "ipv6AddressesSet",
		"Groups": "groupSet", "TagSet": "tagSet", "Tags": "tagSet"},
	"SecurityGroups":      {"Description": "groupDescription", "Tags": "tagSet"},
	"IpPermissions":       {"UserIdGroupPairs": "groups"},
	"IpPermissionsEgress": {"UserIdGroupPairs": "groups"},
}

// xmlValue writes v as element name; ctx is the CLI key v was found under.
func xmlValue(b *strings.Builder, name, ctx string, v any) {
	switch t := v.(type) {
	case nil:
		return
	case map[string]any:
		fmt.Fprintf(b, "<%s>", name)
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			el := wireNames[ctx][k]
			if el == "" {
				el = strings.ToLower(k[:1]) + k[1:]
			}
			if list, ok := t[k].([]any); ok {
				fmt.Fprintf(b, "<%s>", el)
				for _, it := range list {
					xmlValue(b, "item", k, it)
				}
				fmt.Fprintf(b, "</%s>", el)
				continue
			}
			xmlValue(b, el, k, t[k])
		}
		fmt.Fprintf(b, "</%s>", name)
	case string:
		fmt.Fprintf(b, "<%s>%s</%s>", name, html.EscapeString(t), name)
	case float64:
		fmt.Fprintf(b, "<%s>%s</%s>", name, strconv.FormatFloat(t, 'f', -1, 64), name)
	case bool:
		fmt.Fprintf(b, "<%s>%t</%s>", name, t, name)
	}
}
