package names

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"civmap/gazetteer"
)

func sampleEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := NewEngine(DefaultLists())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func divisionSubjects(ds []gazetteer.Division) []Subject {
	out := make([]Subject, len(ds))
	for i, d := range ds {
		out[i] = DivisionSubject(d)
	}
	return out
}

// pairs returns each finding of rule as "code:code…" (the record's code, then its evidence records' codes, sorted).
func pairs(fs []TrackedFinding, rule string) []string {
	var out []string
	for _, f := range fs {
		if f.Rule != rule {
			continue
		}
		codes := []string{f.Record.Code}
		for _, r := range f.Evidence.Records {
			codes = append(codes, r.Code)
		}
		sort.Strings(codes)
		out = append(out, strings.Join(codes, ":"))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestSampleDuplicates screens the sample's 427 divisions: the real duplicate 专名 among the 408 village-level units
// (DOMAIN.md §2: 村/社区 names unique within the county), found by hand from divisions.csv, and the real homophones
// (same toneless pinyin of the 专名: 东风/东丰 dong feng, 延昌/盐厂 yan chang, 东普/东浦 dong pu, 舫前/方前 fang qian,
// 张岙/樟岙 zhang ao). Nothing else is flagged.
func TestSampleDuplicates(t *testing.T) {
	e := sampleEngine(t)
	divs := sampleDivisions(t)
	if len(divs) != 427 {
		t.Fatalf("sample has %d divisions, want 427", len(divs))
	}
	got := e.Screen(divisionSubjects(divs), nil, "330225")
	if got.names != 427 {
		t.Errorf("screened %d names, want 427", got.names)
	}
	wantDup := []string{
		"330225001011:330225104250", // 东风社区 (丹东) / 东风村委会 (贤庠)
		"330225003002:330225108214", // 玉泉社区 (爵溪) / 玉泉村委会 (涂茨)
		"330225003005:330225109001", // 龙溪社区 (爵溪) / 龙溪居委会 (大徐)
		"330225102004:330225102255", // 下沈居委会 / 下沈村委会 (西周)
		"330225104001:330225104200", // 贤庠居委会 / 贤庠村委会
		"330225105001:330225105200", // 墙头居委会 / 墙头村委会
		"330225106001:330225106200", // 泗洲头居委会 / 泗洲头村委会
	}
	if d := pairs(got.findings, "zhong.duplicate"); !slices.Equal(d, wantDup) {
		t.Errorf("duplicates:\n got %q\nwant %q", d, wantDup)
	}
	wantHomo := []string{
		"330225001011:330225101266",              // 东风社区 ~ 东丰村委会
		"330225001011:330225101266:330225104250", // 东丰村委会 ~ 东风社区, 东风村委会
		"330225101008:330225104213",              // 延昌社区 ~ 盐厂村委会
		"330225101266:330225104250",              // 东风村委会 ~ 东丰村委会
		"330225102230:330225201236",              // 东普村委会 ~ 东浦村委会
		"330225105229:330225107211",              // 舫前村委会 ~ 方前村委会
		"330225106218:330225200218",              // 张岙村委会 ~ 樟岙村委会
	}
	if h := pairs(got.findings, "zhong.homophone"); !slices.Equal(h, wantHomo) {
		t.Errorf("homophones:\n got %q\nwant %q", h, wantHomo)
	}
	for _, f := range got.findings {
		if f.Kind != KindZhong {
			t.Errorf("unexpected finding on %s %s: %s %s", f.Record.Code, f.Record.Name, f.Rule, f.Message)
		}
	}
}

// TestTownshipsClean: no finding on the 18 real township names, checked against the whole sample.
func TestTownshipsClean(t *testing.T) {
	e := sampleEngine(t)
	subs := divisionSubjects(sampleDivisions(t))
	ix := e.NewIndex(subs)
	n := 0
	for _, s := range subs {
		if s.Level != gazetteer.LevelTownship {
			continue
		}
		n++
		if fs := ix.Check(s); len(fs) > 0 {
			t.Errorf("%s %s: %+v", s.Code, s.Name, fs)
		}
	}
	if n != 18 {
		t.Errorf("%d townships, want 18", n)
	}
}

// TestPlanted checks planted names against the sample: each gets exactly the rules listed.
func TestPlanted(t *testing.T) {
	e := sampleEngine(t)
	subs := divisionSubjects(sampleDivisions(t))
	subs = append(subs, Subject{Kind: "place", ID: "p-dong", Name: "丹峰公园", Category: "公园", Within: "330225001"})
	ix := e.NewIndex(subs)
	long := strings.Repeat("象", 300)
	for _, c := range []struct {
		s     Subject
		rules []string
		word  string // the evidence word of the first finding
	}{
		{Subject{Kind: "candidate", Name: "维多利亚花园", Category: "小区", Within: "330225001"}, []string{"yang.word"}, "维多利亚"},
		{Subject{Kind: "candidate", Name: "曼哈顿广场", Category: "广场", Within: "330225001"}, []string{"yang.word"}, "曼哈顿"},
		{Subject{Kind: "candidate", Name: "中央公馆", Category: "小区", Within: "330225001"}, []string{"da.word"}, "中央"},
		{Subject{Kind: "candidate", Name: "环球国际中心", Category: "建筑", Within: "330225001"}, []string{"da.word"}, "环球"},
		{Subject{Kind: "candidate", Name: "皇城小区", Category: "小区", Within: "330225001"}, []string{"guai.word"}, "皇城"},
		{Subject{Kind: "candidate", Name: "A区花园", Category: "小区", Within: "330225001"}, []string{"guai.mixed-script"}, "A"},
		{Subject{Kind: "candidate", Name: "Manhattan", Category: "小区", Within: "330225001"}, []string{"yang.script"}, "Manhattan"},
		{Subject{Kind: "candidate", Name: "東門路", Category: "道路", Within: "330225101"}, []string{"guai.traditional"}, "東"},
		{Subject{Kind: "candidate", Name: "𠀋村", Category: "自然村", Within: "330225101"}, []string{"guai.rare-char", "spelling.unknown"}, "𠀋"},
		{Subject{Kind: "candidate", Name: "大碶头桥", Category: "桥", Within: "330225001"}, nil, ""}, // 碶 is local
		{Subject{Kind: "candidate", Name: "", Within: "330225001"}, []string{"format.empty"}, ""},
		{Subject{Kind: "candidate", Name: "路", Category: "道路", Within: "330225001"}, []string{"format.generic-only"}, "路"},
		{Subject{Kind: "candidate", Name: long, Category: "道路", Within: "330225001"}, []string{"format.length"}, ""},
		{Subject{Kind: "candidate", Name: "\ue000村", Within: "330225001"}, []string{"format.charset"}, "U+E000"},
		{Subject{Kind: "candidate", Name: "🏠村", Within: "330225001"}, []string{"format.charset"}, "U+1F3E0"},
		{Subject{Kind: "candidate", Name: "新华路，", Category: "道路", Within: "330225001"}, []string{"format.punctuation"}, "，"},
		// 重: a planted duplicate and a homophone of village-level units, and of a place in its township.
		{Subject{Kind: "candidate", Name: "玉泉村", Level: gazetteer.LevelVillage, Within: "330225101"},
			[]string{"zhong.duplicate"}, "玉泉"},
		{Subject{Kind: "candidate", Name: "东峰社区", Level: gazetteer.LevelVillage, Within: "330225101"},
			[]string{"zhong.homophone"}, "东峰"},
		{Subject{Kind: "candidate", Name: "丹峰公园", Category: "公园", Within: "330225001"}, []string{"zhong.duplicate"}, "丹峰"},
		{Subject{Kind: "candidate", Name: "丹峰公园", Category: "公园", Within: "330225002"}, nil, ""}, // another township
		// A township name is unique within the province; a village-level name may repeat it.
		{Subject{Kind: "candidate", Name: "西周镇", Level: gazetteer.LevelTownship, Within: "330225"},
			[]string{"zhong.duplicate"}, "西周"},
		// location: a name holding a township's or a village's name must lie in it.
		{Subject{Kind: "candidate", Name: "石浦海鲜市场", Category: "市场", Within: "330225001"}, []string{"location.outside"}, "石浦"},
		{Subject{Kind: "candidate", Name: "石浦海鲜市场", Category: "市场", Within: "330225101"}, nil, ""},
		{Subject{Kind: "candidate", Name: "东陈村文化礼堂", Category: "礼堂", Within: "330225101"},
			[]string{"location.outside", "location.outside"}, "东陈"}, // 东陈乡 and 东陈村
		{Subject{Kind: "candidate", Name: "东陈村文化礼堂", Category: "礼堂", Within: "330225200202"},
			[]string{"location.outside"}, "东陈村"}, // in 东陈乡, but in 岳头村, not 东陈村 (330225200203)
		{Subject{Kind: "candidate", Name: "东陈村文化礼堂", Category: "礼堂", Within: "330225200203"}, nil, ""},
		// Exempt names: one heritage finding instead of the rules they break.
		{Subject{Kind: "place", ID: "h1", Name: "皇城", Category: "古迹", Within: "330225101", Exempt: true,
			ExemptReason: "历史地名"}, []string{"heritage.exempt"}, ""},
		// spelling: a hand-set pinyin with an English generic.
		{Subject{Kind: "place", ID: "s1", Name: "新华路", Category: "道路", Within: "330225001", Pinyin: "Xinhua Rd"},
			[]string{"spelling.pinyin"}, "Xinhua Rd"},
		{Subject{Kind: "place", ID: "s2", Name: "新华路", Category: "道路", Within: "330225001", Pinyin: "XINHUA LU"}, nil, ""},
	} {
		fs := ix.Check(c.s)
		var rules []string
		for _, f := range fs {
			rules = append(rules, f.Rule)
			if f.Message == "" || f.Severity == "" || f.Kind == "" {
				t.Errorf("%q: finding %s lacks a message, severity or kind", c.s.Name, f.Rule)
			}
		}
		if !slices.Equal(rules, c.rules) {
			t.Errorf("%.30q: rules %q, want %q (%+v)", c.s.Name, rules, c.rules, fs)
			continue
		}
		if len(fs) > 0 && c.word != "" && fs[0].Evidence.Word != c.word {
			t.Errorf("%q: evidence word %q, want %q", c.s.Name, fs[0].Evidence.Word, c.word)
		}
	}
}

// TestCheckService covers POST /api/names/check's service: the duplicate's evidence names the record with its code.
func TestCheckService(t *testing.T) {
	s := NewService(nil, &fakeRecords{divs: sampleDivisions(t)})
	fs, err := s.Check(context.Background(), CheckRequest{Name: "墙头村", Category: "village", DivisionCode: "330225105"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Rule != "zhong.duplicate" || len(fs[0].Evidence.Records) != 2 ||
		fs[0].Evidence.Records[0].Code != "330225105001" || fs[0].Evidence.Records[1].Code != "330225105200" {
		t.Fatalf("findings %+v", fs)
	}
	fs, err = s.Check(context.Background(), CheckRequest{Name: "石浦镇", Category: "镇", DivisionCode: "330225"})
	if err != nil || len(fs) != 1 || fs[0].Evidence.Records[0].Code != "330225101" {
		t.Fatalf("石浦镇 again: %+v %v", fs, err)
	}
	for _, bad := range []CheckRequest{{Name: ""}, {Name: strings.Repeat("村", MaxNameInput+1)},
		{Name: "新村", DivisionCode: "12"}, {Name: "新村", DivisionCode: "330225999"}} {
		if _, err := s.Check(context.Background(), bad); err == nil {
			t.Errorf("Check(%.20q, %q): no error", bad.Name, bad.DivisionCode)
		}
	}
}
