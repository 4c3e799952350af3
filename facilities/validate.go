package facilities

import (
	"sort"
	"strings"

	"civmap/gazetteer"
	"civmap/geo"
	"civmap/internal/apierr"
)

// NormalizeFacility trims and checks a facility: ID and name present, a known type and status, a 9-digit township code
// that exists (exists nil skips that check), non-negative capacities and a valid lon/lat point. Status defaults to
// existing.
func NormalizeFacility(f *Facility, exists gazetteer.Lookup) apierr.Invalid {
	errs := gazetteer.CheckText(f)
	f.ID = strings.TrimSpace(f.ID)
	f.Name = strings.TrimSpace(f.Name)
	if f.ID == "" {
		errs.Add("id", "the facility id is required")
	} else if why := gazetteer.CheckID(f.ID); why != "" {
		errs.Add("id", "%s", why)
	}
	if why := gazetteer.CheckName(f.Name); why != "" {
		errs.Add("name", "%s", why)
	}
	if f.Name == "" {
		errs.Add("name", "the name is required")
	}
	if _, ok := Types[f.Type]; !ok {
		errs.Add("type", "unknown facility type %q (want one of %s)", f.Type, keys(Types))
	}
	if f.Status == "" {
		f.Status = "existing"
	}
	if _, ok := Statuses[f.Status]; !ok {
		errs.Add("status", "unknown status %q (want one of %s)", f.Status, keys(Statuses))
	}
	if lvl, err := gazetteer.CheckDivisionCode(f.TownshipCode); err != nil || lvl != gazetteer.LevelTownship {
		errs.Add("township_code", "%q is not a 9-digit township code", f.TownshipCode)
	} else if exists != nil && !exists(f.TownshipCode) {
		errs.Add("township_code", "unknown township code %q", f.TownshipCode)
	}
	if f.CapacityBeds != nil && *f.CapacityBeds < 0 {
		errs.Add("capacity_beds", "must not be negative, got %d", *f.CapacityBeds)
	}
	if f.CapacityMealsPerDay != nil && *f.CapacityMealsPerDay < 0 {
		errs.Add("capacity_meals_per_day", "must not be negative, got %d", *f.CapacityMealsPerDay)
	}
	if err := geo.ValidatePoint(f.Location); err != nil {
		errs.Add("geometry", "%v", err)
	}
	return errs
}

// NormalizeDemand checks a demand unit: a 12-digit village-level code that exists, its 9-digit township, a non-negative
// elderly population and a valid point.
func NormalizeDemand(d *DemandUnit, exists gazetteer.Lookup) apierr.Invalid {
	errs := gazetteer.CheckText(d)
	if lvl, err := gazetteer.CheckDivisionCode(d.Code); err != nil || lvl != gazetteer.LevelVillage {
		errs.Add("code", "%q is not a 12-digit village-level code", d.Code)
	} else if exists != nil && !exists(d.Code) {
		errs.Add("code", "unknown village-level code %q", d.Code)
	}
	if d.TownshipCode == "" && len(d.Code) == 12 {
		d.TownshipCode = d.Code[:9]
	}
	if !strings.HasPrefix(d.Code, d.TownshipCode) || len(d.TownshipCode) != 9 {
		errs.Add("township_code", "%q is not the township of %q", d.TownshipCode, d.Code)
	}
	if d.ElderlyPopulation < 0 {
		errs.Add("elderly_population", "must not be negative, got %d", d.ElderlyPopulation)
	}
	if err := geo.ValidatePoint(d.Location); err != nil {
		errs.Add("geometry", "%v", err)
	}
	return errs
}

func keys(m map[string]string) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
