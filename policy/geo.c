/* geo.c: ISO 3166 country -> Azure Traffic Manager regional grouping
 * (GEO-AF, GEO-AN, GEO-AP, GEO-AS, GEO-EU, GEO-ME, GEO-NA, GEO-SA), the level
 * between a country and WORLD in Geographic routing (reference §1.8).
 * Azure publishes the tree at trafficManagerGeographicHierarchies/default;
 * this table follows its continent-level grouping. */
#include "config.h"
#include "policy/policy.h"

#include <string.h>

static const struct {
    const char *group;
    const char *countries; /* two-letter codes, space separated */
} groups[] = {
    {"GEO-AF",
     "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY "
     "MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA "
     "ZM ZW"},
    {"GEO-AN", "AQ BV GS HM TF"},
    {"GEO-AP", "AS AU CC CK CX FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF "
               "WS"},
    {"GEO-AS",
     "AF AM AZ BD BN BT CN GE HK ID IN IO JP KG KH KP KR KZ LA LK MM MN MO MV MY NP PH PK "
     "SG TH TJ TL TM TW UZ VN"},
    {"GEO-EU",
     "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT "
     "JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM TR UA VA XK XJ"},
    {"GEO-ME", "AE BH IL IQ IR JO KW LB OM PS QA SA SY YE"},
    {"GEO-NA",
     "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS "
     "MX NI PA PM PR SV SX TC TT US VC VG VI"},
    {"GEO-SA", "AR BO BR CL CO EC FK GF GY PE PY SR UY VE"},
};

const char *
geo_group(const char *country)
{
    if (strlen(country) != 2)
        return NULL;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        for (const char *c = groups[g].countries; *c; c += c[2] ? 3 : 2)
            if (c[0] == country[0] && c[1] == country[1])
                return groups[g].group;
    return NULL;
}
