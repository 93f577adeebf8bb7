package intel

import "strings"

// CompareVersions orders two version strings the way release numbers sort: they are split
// into runs of digits and runs of letters (dots, dashes, underscores, plus signs and spaces
// only separate), digit runs compare as numbers, letter runs as lower-case text, and a
// digit run sorts after a letter run ("2.4.49" > "2.4.beta"). A version that is a prefix of
// the other sorts first ("2.4" < "2.4.0"). It returns -1, 0 or +1.
func CompareVersions(a, b string) int {
	ta, tb := versionTokens(a), versionTokens(b)
	for i := 0; i < len(ta) && i < len(tb); i++ {
		if c := compareToken(ta[i], tb[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(ta) < len(tb):
		return -1
	case len(ta) > len(tb):
		return 1
	}
	return 0
}

// KnownVersion reports whether v looks like a release number that CompareVersions can place:
// it starts with a digit and holds no wildcard. nmap writes ranges and guesses such as "2.X"
// or "5.0 - 5.6" that must not be compared.
func KnownVersion(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" || v[0] < '0' || v[0] > '9' {
		return false
	}
	if strings.ContainsAny(v, "*? ") {
		return false
	}
	for _, t := range versionTokens(v) {
		if t == "x" {
			return false
		}
	}
	return true
}

func versionTokens(v string) []string {
	v = strings.ToLower(strings.TrimSpace(v))
	var out []string
	start := -1
	kind := 0 // 1 digits, 2 letters
	flush := func(i int) {
		if start >= 0 {
			out = append(out, v[start:i])
		}
		start, kind = -1, 0
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		k := 2
		switch {
		case '0' <= c && c <= '9':
			k = 1
		case c == '.' || c == '-' || c == '_' || c == '+' || c == ' ' || c == '~':
			flush(i)
			continue
		}
		if k != kind {
			flush(i)
			start, kind = i, k
		}
	}
	flush(len(v))
	return out
}

func isDigits(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

func compareToken(a, b string) int {
	da, db := isDigits(a), isDigits(b)
	switch {
	case da && db:
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			if len(a) < len(b) {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	case da:
		return 1
	case db:
		return -1
	}
	return strings.Compare(a, b)
}
