/*
 * param: the parameter table (D-PAR-6) and value validation (D-PAR-2, -3).
 *
 * Defaults and ranges come from the seed's parameter tables and device.md
 * D-PAR-6. Groups follow the phone's web page: "Provisioning/Configuration
 * Profile" is the section "Configuration Profile" of the tab Voice >
 * Provisioning.
 */
#include "param.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "cond.h"
#include "delay.h"
#include "rule.h"
#include "url.h"

#define NA PROV_UA_NA
#define RO PROV_UA_RO
#define RW PROV_UA_RW
#define SECRET PARAM_SECRET

#define G_CFG "Provisioning/Configuration Profile"
#define G_UPG "Provisioning/Firmware Upgrade"
#define G_GPP "Provisioning/General Purpose Parameters"
#define G_MIC "Provisioning/MIC Cert Settings"
#define G_CA "Provisioning/CA Settings"
#define G_SYS "System/Optional Network Configuration"
#define G_SEC "System/System Configuration"
#define G_EXT "Ext"
#define G_ENC "Provisioning/Encryption"

#define CHOICES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define RETRY_DEFAULT "60,120,240,480,960,1920,3840,7680,15360,30720,61440,86400"
#define RULE_LEN 2047   /* longest rule value */
#define MSG_LEN 1023    /* longest syslog template */
#define STR_LEN 255     /* longest ordinary string */

static const struct param_def param_table[] = {
/*	name, type, default, lo, hi, choices, ua, index kinds, flags, group, products */
	{ "Provision_Enable", PT_BOOL, "Yes", 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_On_Reset", PT_BOOL, "Yes", 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_Random_Delay", PT_INT, "2", 0, 65535, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_At__HHmm_", PT_HHMM, "", 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_At_Random_Delay", PT_INT, "600", 0, 65535, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_Periodic", PT_DELAY, "3600", 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_Error_Retry_Delay", PT_DELAY, RETRY_DEFAULT, 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Forced_Resync_Delay", PT_INT, "14400", 0, 65535, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_From_SIP", PT_BOOL, "Yes", 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_After_Upgrade_Attempt", PT_BOOL, "Yes", 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_Trigger_1", PT_COND, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_Trigger_2", PT_COND, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "User_Configurable_Resync", PT_BOOL, "Yes", 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Resync_Fails_On_FNF", PT_BOOL, "Yes", 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Profile_Authentication_Type", PT_CHOICE, "Basic Http Authentication", 0, 0,
	  CHOICES("Disabled", "Basic Http Authentication", "XSI Authentication"), NA, { 0 }, 0, G_CFG, NULL },
	{ "Profile_Rule", PT_RULE, "/$PSN.xml", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Profile_Rule_B", PT_RULE, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Profile_Rule_C", PT_RULE, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Profile_Rule_D", PT_RULE, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "DHCP_Option_To_Use", PT_OPTLIST, "66,160,159,150,60,43,125", 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "DHCPv6_Option_To_Use", PT_OPTLIST, "17,160,159", 0, 0, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Log_Request_Msg", PT_STRING,
	  "$PN $MAC -- Requesting resync $SCHEME://$SERVIP:$PORT$PATH", 0, MSG_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Log_Success_Msg", PT_STRING,
	  "$PN $MAC -- Successful resync $SCHEME://$SERVIP:$PORT$PATH", 0, MSG_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Log_Failure_Msg", PT_STRING, "$PN $MAC -- Resync failed: $ERR", 0, MSG_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "Report_Rule", PT_REPORT_RULE, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "HTTP_Report_Method", PT_CHOICE, "POST", 0, 0, CHOICES("POST", "PUT"), NA, { 0 }, 0, G_CFG, NULL },
	{ "Report_To_Server", PT_CHOICE, "On Request", 0, 0,
	  CHOICES("On Request", "On Local Change", "Periodically"), NA, { 0 }, 0, G_CFG, NULL },
	{ "Periodic_Upload_To_Server", PT_INT, "3600", 600, 2592000, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "User_Agent_Name", PT_STRING, "", 0, STR_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },
	{ "HTTP_User_Agent_Name", PT_STRING, "$VERSION ($MA)", 0, STR_LEN, NULL, NA, { 0 }, 0, G_CFG, NULL },

	{ "Upgrade_Enable", PT_BOOL, "Yes", 0, 0, NULL, NA, { 0 }, 0, G_UPG, NULL },
	{ "Upgrade_Error_Retry_Delay", PT_DELAY, "3600", 0, 0, NULL, NA, { 0 }, 0, G_UPG, NULL },
	{ "Downgrade_Rev_Limit", PT_STRING, "", 0, STR_LEN, NULL, NA, { 0 }, 0, G_UPG, NULL },
	{ "Upgrade_Rule", PT_UPGRADE_RULE, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_UPG, NULL },
	{ "Log_Upgrade_Request_Msg", PT_STRING,
	  "$PN $MAC -- Requesting upgrade $SCHEME://$SERVIP:$PORT$PATH", 0, MSG_LEN, NULL, NA, { 0 }, 0, G_UPG, NULL },
	{ "Log_Upgrade_Success_Msg", PT_STRING,
	  "$PN $MAC -- Successful upgrade $SCHEME://$SERVIP:$PORT$PATH -- $ERR", 0, MSG_LEN, NULL, NA, { 0 }, 0, G_UPG, NULL },
	{ "Log_Upgrade_Failure_Msg", PT_STRING, "$PN $MAC -- Upgrade failed: $ERR", 0, MSG_LEN, NULL, NA, { 0 }, 0, G_UPG, NULL },
	{ "Trans_Auth_Rule", PT_UPGRADE_RULE, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_UPG, NULL },
	{ "Trans_Auth_Type", PT_CHOICE, "", 0, 0, CHOICES("", "Classic"), NA, { 0 }, 0, G_UPG, NULL },
	{ "Transition_Authorization_Error_Retry_Delay", PT_DELAY, "1800", 0, 0, NULL, NA, { 0 }, 0, G_UPG, NULL },

	{ "GPP_A", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_B", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_C", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_D", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_E", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_F", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_G", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_H", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_I", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_J", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_K", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_L", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_M", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_N", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_O", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_P", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_GPP, NULL },
	{ "GPP_SA", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, SECRET, G_GPP, NULL },
	{ "GPP_SB", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, SECRET, G_GPP, NULL },
	{ "GPP_SC", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, SECRET, G_GPP, NULL },
	{ "GPP_SD", PT_STRING, "", 0, RULE_LEN, NULL, NA, { 0 }, SECRET, G_GPP, NULL },

	{ "Custom_CA_Rule", PT_UPGRADE_RULE, "", 0, RULE_LEN, NULL, NA, { 0 }, 0, G_CA, NULL },
	{ "MIC_Cert_Refresh_Enable", PT_BOOL, "No", 0, 0, NULL, NA, { 0 }, 0, G_MIC, NULL },
	{ "MIC_Cert_Refresh_Rule", PT_URL, "http://sudirenewal.cisco.com/", 0, 1024, NULL, NA, { 0 }, 0, G_MIC, NULL },
	{ "IKM_HTTP_Encrypt_Content", PT_STRING, "", 0, STR_LEN, NULL, NA, { 0 }, SECRET, G_ENC, NULL },

	{ "Syslog_Server", PT_SERVER, "", 0, STR_LEN, NULL, NA, { 0 }, 0, G_SYS, NULL },
	{ "Debug_Server", PT_SERVER, "", 0, STR_LEN, NULL, NA, { 0 }, 0, G_SYS, NULL },
	{ "Debug_Level", PT_LEVEL, "0", 0, 0, NULL, NA, { 0 }, 0, G_SYS, NULL },
	{ "Syslog_Identifier", PT_CHOICE, "None", 0, 0, CHOICES("None", "$MA", "$MAU", "$MAC", "$SN"), NA, { 0 }, 0, G_SYS, NULL },
	{ "Admin_Password", PT_STRING, "", 0, 127, NULL, NA, { 0 }, SECRET, G_SEC, NULL },
	{ "User_Password", PT_STRING, "", 0, 127, NULL, NA, { 0 }, SECRET, G_SEC, NULL },

	{ "Line_Enable_#_", PT_BOOL, "Yes", 0, 0, NULL, NA, { PARAM_IDX_LINE }, 0, G_EXT, NULL },
	{ "Display_Name_#_", PT_STRING, "", 0, STR_LEN, NULL, RW, { PARAM_IDX_LINE }, 0, G_EXT, NULL },
	{ "User_ID_#_", PT_STRING, "", 0, STR_LEN, NULL, NA, { PARAM_IDX_LINE }, 0, G_EXT, NULL },
	{ "Password_#_", PT_STRING, "", 0, 127, NULL, NA, { PARAM_IDX_LINE }, SECRET, G_EXT, NULL },
	{ "Auth_ID_#_", PT_STRING, "", 0, STR_LEN, NULL, NA, { PARAM_IDX_LINE }, 0, G_EXT, NULL },
	{ "Proxy_#_", PT_STRING, "", 0, STR_LEN, NULL, NA, { PARAM_IDX_LINE }, 0, G_EXT, NULL },
	{ "Privacy_Header_#_", PT_CHOICE, "Disabled", 0, 0,
	  CHOICES("Disabled", "none", "header", "session", "user", "id"), NA, { PARAM_IDX_LINE }, 0, G_EXT, NULL },
};

#define PARAM_ROWS (sizeof(param_table) / sizeof(param_table[0]))
#define PARAM_NEAR_EDITS 2 /* "did you mean": at most this many edits away */

/* One instance: its row (engine rows first, then the catalogue's) and its
 * index numbers; the name lives in the pool. */
struct inst {
	const struct param_def *def;
	unsigned char i[2];
	unsigned char namelen;
	const char *name;
};

/* A name the index finds: an instance's own, or an alias of it. */
struct key {
	const char *name;
	size_t len;
	size_t inst;
};

static struct inst *inst;
static size_t ninst;
static struct key *keys;   /* instances' names, then aliases' */
static size_t nkeys;
static unsigned *slot;     /* key index + 1; 0 = empty */
static size_t nslot;       /* power of two, > 2 * keys */
static char *name_pool;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static unsigned
name_hash(const char *s, size_t n)
{
	unsigned h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static unsigned
idx_count(unsigned char kind)
{
	switch (kind) {
	case 0: return 1;
	case PARAM_IDX_LINE: return PARAM_MAX_LINES;
	case PARAM_IDX_KEMUNIT: return PARAM_MAX_KEM_UNITS;
	case PARAM_IDX_KEMKEY: return PARAM_MAX_KEM_KEYS;
	default: return kind;
	}
}

/* The name of a row's instance: each '#' replaced by its number. */
static size_t
inst_format(const char *pat, unsigned a, unsigned b, char *out, size_t outlen)
{
	size_t k = 0;
	int which = 0;

	for (const char *p = pat; *p && k + 3 < outlen; p++) {
		if (*p != '#') {
			out[k++] = *p;
			continue;
		}
		k += (size_t)snprintf(out + k, outlen - k, "%u", which++ == 0 ? a : b);
	}
	out[k] = '\0';
	return k;
}

static long
key_find(const char *name, size_t len)
{
	size_t h;

	if (nslot == 0)
		return -1;
	h = name_hash(name, len) & (nslot - 1);
	while (slot[h] != 0) {
		const struct key *k = &keys[slot[h] - 1];

		if (k->len == len && memcmp(k->name, name, len) == 0)
			return (long)k->inst;
		h = (h + 1) & (nslot - 1);
	}
	return -1;
}

/* Adds a key unless its name is taken (the first row wins: the engine's). */
static int
key_add(const char *name, size_t len, size_t in)
{
	size_t h = name_hash(name, len) & (nslot - 1);

	while (slot[h] != 0) {
		const struct key *k = &keys[slot[h] - 1];

		if (k->len == len && memcmp(k->name, name, len) == 0)
			return 0;
		h = (h + 1) & (nslot - 1);
	}
	keys[nkeys].name = name;
	keys[nkeys].len = len;
	keys[nkeys].inst = in;
	slot[h] = (unsigned)++nkeys;
	return 1;
}

static const struct param_def *
row_at(size_t r)
{
	return r < PARAM_ROWS ? &param_table[r] : &catalog_table[r - PARAM_ROWS];
}

/*
 * Builds the instance list and the name index over the engine's rows and
 * the catalogue's: two passes, one to size, one to fill. A catalogue row
 * whose first instance the engine already has is skipped whole. Out of
 * memory leaves an empty index (every name unknown), never a crash.
 */
static void
index_build(void)
{
	size_t rows = PARAM_ROWS + catalog_rows, want = 0, pool = 0, naliases = 0;
	char name[PARAM_NAME_MAX + 1];

	for (size_t r = 0; r < rows; r++) {
		const struct param_def *p = row_at(r);
		size_t n = idx_count(p->idx[0]) * idx_count(p->idx[1]);

		want += n;
		pool += n * (strlen(p->name) + 8);
	}
	while (catalog_aliases[naliases].name != NULL)
		naliases++;
	for (nslot = 1024; nslot < 2 * (want + naliases); nslot *= 2)
		;
	inst = calloc(want, sizeof(*inst));
	keys = calloc(want + naliases, sizeof(*keys));
	slot = calloc(nslot, sizeof(*slot));
	name_pool = malloc(pool);
	if (inst == NULL || keys == NULL || slot == NULL || name_pool == NULL) {
		nslot = 0;
		return;
	}
	pool = 0;
	for (size_t r = 0; r < rows; r++) {
		const struct param_def *p = row_at(r);
		unsigned na = idx_count(p->idx[0]), nb = idx_count(p->idx[1]);
		size_t n;

		if (r >= PARAM_ROWS) {
			n = inst_format(p->name, 1, 1, name, sizeof(name));
			if (key_find(name, n) >= 0)
				continue;
		}
		for (unsigned a = 1; a <= na; a++) {
			for (unsigned b = 1; b <= nb; b++) {
				char *dst = name_pool + pool;

				n = inst_format(p->name, a, b, name, sizeof(name));
				memcpy(dst, name, n + 1);
				if (!key_add(dst, n, ninst))
					continue;
				pool += n + 1;
				inst[ninst].def = p;
				inst[ninst].i[0] = (unsigned char)(p->idx[0] ? a : 0);
				inst[ninst].i[1] = (unsigned char)(p->idx[1] ? b : 0);
				inst[ninst].namelen = (unsigned char)n;
				inst[ninst].name = dst;
				ninst++;
			}
		}
	}
	for (size_t i = 0; i < naliases; i++) {
		const struct param_alias *al = &catalog_aliases[i];
		long t = key_find(al->target, strlen(al->target));

		if (t >= 0)
			key_add(al->name, strlen(al->name), (size_t)t);
	}
}

static void
index_init(void)
{
	pthread_once(&index_once, index_build);
}

size_t
param_count(void)
{
	index_init();
	return ninst;
}

long
param_find(const char *name, size_t len)
{
	index_init();
	if (len == 0 || len > PARAM_NAME_MAX)
		return -1;
	return key_find(name, len);
}

const struct param_def *
param_def(size_t idx, unsigned *line)
{
	const struct inst *in;

	index_init();
	if (idx >= ninst)
		return NULL;
	in = &inst[idx];
	if (line != NULL)
		*line = in->def->idx[0] == PARAM_IDX_LINE ? in->i[0] :
			in->def->idx[1] == PARAM_IDX_LINE ? in->i[1] : 0;
	return in->def;
}

const char *
param_name(size_t idx)
{
	index_init();
	return idx < ninst ? inst[idx].name : NULL;
}

const struct param_product *
param_product(const char *psn)
{
	static const struct param_product largest = {
		NULL, PARAM_MAX_LINES, PARAM_MAX_KEM_UNITS, PARAM_MAX_KEM_KEYS
	};

	for (const struct param_product *p = catalog_products; psn && p->psn; p++)
		if (strcmp(p->psn, psn) == 0)
			return p;
	return &largest;
}

int
param_on_product(size_t idx, const struct param_product *pr)
{
	index_init();
	if (idx >= ninst)
		return 0;
	for (int k = 0; k < 2; k++) {
		unsigned v = inst[idx].i[k];

		switch (inst[idx].def->idx[k]) {
		case PARAM_IDX_LINE:
			if (v > pr->lines)
				return 0;
			break;
		case PARAM_IDX_KEMUNIT:
			if (v > pr->kem_units)
				return 0;
			break;
		case PARAM_IDX_KEMKEY:
			if (v > pr->kem_keys)
				return 0;
			break;
		default:
			break;
		}
	}
	return 1;
}

/* Edit distance of a and b (optimal string alignment: a swap of two
 * neighbours is one edit), or max + 1 once it must exceed max. */
static size_t
edits(const char *a, size_t la, const char *b, size_t lb, size_t max)
{
	size_t prev2[PARAM_NAME_MAX + 2], prev[PARAM_NAME_MAX + 2], cur[PARAM_NAME_MAX + 2];

	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t best = cur[0] = i;

		for (size_t j = 1; j <= lb; j++) {
			size_t c = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < c)
				c = prev[j] + 1;
			if (cur[j - 1] + 1 < c)
				c = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < c)
				c = prev2[j - 2] + 1;
			cur[j] = c;
			if (c < best)
				best = c;
		}
		if (best > max)
			return max + 1;
		memcpy(prev2, prev, (lb + 1) * sizeof(prev[0]));
		memcpy(prev, cur, (lb + 1) * sizeof(cur[0]));
	}
	return prev[lb];
}

const char *
param_nearest(const char *name, size_t len)
{
	size_t max = len <= 6 ? 1 : PARAM_NEAR_EDITS, best = max + 1;
	const char *found = NULL;

	index_init();
	if (len == 0 || len > PARAM_NAME_MAX)
		return NULL;
	for (size_t i = 0; i < nkeys; i++) {
		size_t e = edits(name, len, keys[i].name, keys[i].len, best - 1 < max ? best - 1 : max);

		if (e < best) {
			best = e;
			found = inst[keys[i].inst].name;
			if (best == 0)
				break;
		}
	}
	return best <= max ? found : NULL;
}

int
param_secret(size_t idx)
{
	const struct param_def *p = param_def(idx, NULL);

	return p != NULL && (p->flags & PARAM_SECRET);
}

/* Case-insensitive match of value against a choice list; returns the
 * canonical spelling (static storage) or NULL. */
static const char *
choice_match(const char *const *choices, const char *v, size_t n)
{
	for (; *choices != NULL; choices++)
		if (strlen(*choices) == n && strncasecmp(*choices, v, n) == 0)
			return *choices;
	return NULL;
}

static const char *const bool_yes[] = { "yes", "1", "true", "enable", "enabled", "on" };
static const char *const bool_no[] = { "no", "0", "false", "disable", "disabled", "off" };

static int
word_in(const char *const *list, size_t nlist, const char *v, size_t n)
{
	for (size_t i = 0; i < nlist; i++)
		if (strlen(list[i]) == n && strncasecmp(list[i], v, n) == 0)
			return 1;
	return 0;
}

/* Syslog level names MPP firmware writes for Debug_Level, mapped to 0..3. */
static const struct {
	const char *name;
	int level;
} level_names[] = {
	{ "EMERGENCY", 0 }, { "EMERG", 0 }, { "ALERT", 0 }, { "CRITICAL", 0 },
	{ "CRIT", 0 }, { "ERROR", 0 }, { "ERR", 0 }, { "WARNING", 0 }, { "WARN", 0 },
	{ "NOTICE", 1 }, { "INFO", 2 }, { "DEBUG", 3 },
};

static const char *
level_match(const char *v, size_t n)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strlen(level_names[i].name) == n &&
		    strncasecmp(level_names[i].name, v, n) == 0)
			return level_names[i].name;
	return NULL;
}

int
param_level(const char *v)
{
	size_t n = strlen(v);

	if (n == 1 && v[0] >= '0' && v[0] <= '3')
		return v[0] - '0';
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(level_names[i].name, v) == 0)
			return level_names[i].level;
	return 0;
}

/* Decimal integer with optional sign; 1 on success. */
static int
parse_long(const char *v, size_t n, long *out)
{
	char tmp[24];
	char *end;

	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)tmp[i]) && !(i == 0 && (tmp[i] == '-' || tmp[i] == '+')))
			return 0;
	errno = 0;
	*out = strtol(tmp, &end, 10);
	return errno == 0 && *end == '\0';
}

static int
optlist_ok(const char *v, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return 1;
	for (;;) {
		long num = 0;
		size_t digits = 0;

		while (i < n && v[i] == ' ')
			i++;
		while (i < n && isdigit((unsigned char)v[i]) && digits < 4) {
			num = num * 10 + (v[i] - '0');
			i++;
			digits++;
		}
		if (digits == 0 || num < 1 || num > 254)
			return 0;
		while (i < n && v[i] == ' ')
			i++;
		if (i == n)
			return 1;
		if (v[i] != ',')
			return 0;
		i++;
	}
}

/* host[:port], host a name or IPv4, or [IPv6][:port]. */
static int
server_ok(const char *v, size_t n)
{
	size_t i = 0, hostlen = 0;

	if (n == 0)
		return 1;
	if (v[0] == '[') {
		const char *rb = memchr(v, ']', n);

		if (rb == NULL || rb == v + 1)
			return 0;
		for (const char *c = v + 1; c < rb; c++)
			if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.')
				return 0;
		i = (size_t)(rb - v) + 1;
		hostlen = 1;
	} else {
		while (i < n && (isalnum((unsigned char)v[i]) || v[i] == '-' ||
				 v[i] == '.' || v[i] == '_'))
			i++;
		hostlen = i;
	}
	if (hostlen == 0)
		return 0;
	if (i == n)
		return 1;
	if (v[i] != ':' || i + 1 == n || n - i - 1 > 5)
		return 0;
	long port = 0;
	for (size_t j = i + 1; j < n; j++) {
		if (!isdigit((unsigned char)v[j]))
			return 0;
		port = port * 10 + (v[j] - '0');
	}
	return port >= 1 && port <= 65535;
}

/* Shows at most 40 bytes of a rejected value in a message, never a secret. */
static void
value_excerpt(size_t idx, const char *v, size_t n, char *out, size_t outlen)
{
	size_t k = 0;

	if (param_secret(idx)) {
		snprintf(out, outlen, "%s", PARAM_MASK);
		return;
	}
	for (size_t i = 0; i < n && k + 5 < outlen && i < 40; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			k += (size_t)snprintf(out + k, outlen - k, "\\x%02x", c);
		else
			out[k++] = (char)c;
	}
	if (n > 40 && k + 4 < outlen) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
}

enum prov_err
param_check(size_t idx, const char *v, size_t n, const char **canon, struct diag *d)
{
	unsigned line;
	const struct param_def *p = param_def(idx, &line);
	const char *why = NULL;
	char ex[200], whybuf[200];
	struct diag sub;
	long num;
	const char *c;
	unsigned minutes;

	*canon = NULL;
	if (p == NULL)
		return diag_set(d, PROV_E_UNKNOWN, 0, 0, "no such parameter");
	if (n > BOUND_VALUE_LEN) {
		why = "value too long";
		goto bad;
	}
	if (memchr(v, '\0', n) != NULL) {
		why = "value contains a NUL byte";
		goto bad;
	}
	diag_init(&sub);
	switch (p->type) {
	case PT_BOOL:
		if (word_in(bool_yes, 6, v, n))
			*canon = "Yes";
		else if (word_in(bool_no, 6, v, n))
			*canon = "No";
		else
			why = "expected Yes or No";
		break;
	case PT_INT:
		if (n == 0 && (p->flags & PARAM_EMPTY_OK))
			break;
		if (!parse_long(v, n, &num)) {
			why = "expected an integer";
		} else if (num < p->lo || num > p->hi) {
			snprintf(whybuf, sizeof(whybuf), "out of range %ld..%ld", p->lo, p->hi);
			why = whybuf;
		}
		break;
	case PT_CHOICE:
		c = choice_match(p->choices, v, n);
		if (c == NULL) {
			size_t k = (size_t)snprintf(whybuf, sizeof(whybuf), "expected one of: ");

			for (const char *const *ch = p->choices; *ch && k < sizeof(whybuf); ch++)
				k += (size_t)snprintf(whybuf + k, sizeof(whybuf) - k, "%s%s",
						      ch == p->choices ? "" : ",", *ch);
			why = whybuf;
		} else {
			*canon = c;
		}
		break;
	case PT_DELAY: {
		struct delay_list dl;

		if (delay_parse(v, n, &dl, &sub) != PROV_OK)
			why = sub.msg;
		break;
	}
	case PT_HHMM:
		if (n != 0 && !delay_hhmm(v, n, &minutes))
			why = "expected HHmm between 0000 and 2400";
		break;
	case PT_LEVEL:
		if (n == 1 && v[0] >= '0' && v[0] <= '3')
			break;
		c = level_match(v, n);
		if (c == NULL)
			why = "expected 0..3 or a syslog level name";
		else
			*canon = c;
		break;
	case PT_OPTLIST:
		if (!optlist_ok(v, n))
			why = "expected a comma list of DHCP option numbers 1..254";
		break;
	case PT_SERVER:
		if ((long)n > p->hi)
			why = "value too long";
		else if (!server_ok(v, n))
			why = "expected host[:port]";
		break;
	case PT_STRING:
		if ((long)n > p->hi) {
			snprintf(whybuf, sizeof(whybuf), "longer than %ld bytes", p->hi);
			why = whybuf;
		}
		break;
	case PT_COND:
		if ((long)n > p->hi)
			why = "value too long";
		else if (n != 0) {
			enum prov_err rc = cond_check(v, n, &sub);

			if (rc == PROV_E_NOMEM)
				return diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
			if (rc != PROV_OK) {
				snprintf(whybuf, sizeof(whybuf), "col %u: %.180s", sub.col, sub.msg);
				why = whybuf;
			}
		}
		break;
	case PT_URL: {
		struct url *u;

		if ((long)n > p->hi) {
			why = "value too long";
			break;
		}
		if (n == 0)
			break;
		u = malloc(sizeof(*u));
		if (u == NULL)
			return diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
		if (url_parse(v, n, u, &sub) != PROV_OK) {
			snprintf(whybuf, sizeof(whybuf), "col %u: %.180s", sub.col, sub.msg);
			why = whybuf;
		}
		free(u);
		break;
	}
	case PT_RULE:
	case PT_UPGRADE_RULE:
	case PT_REPORT_RULE: {
		struct rule *r = NULL;
		unsigned flags = p->type == PT_UPGRADE_RULE ? RULE_NO_OPTIONS :
				 p->type == PT_REPORT_RULE ? RULE_REPORT : 0;
		enum prov_err rc;

		if ((long)n > p->hi) {
			why = "value too long";
			break;
		}
		rc = rule_parse(v, n, flags, &r, &sub);
		rule_free(r);
		if (rc == PROV_E_NOMEM)
			return diag_set(d, PROV_E_NOMEM, 0, 0, "out of memory");
		if (rc != PROV_OK) {
			snprintf(whybuf, sizeof(whybuf), "col %u: %.180s", sub.col, sub.msg);
			why = whybuf;
		}
		break;
	}
	}
	if (why == NULL)
		return PROV_OK;
bad:
	value_excerpt(idx, v, n, ex, sizeof(ex));
	return diag_set(d, PROV_E_INVAL, 0, 0, "%s: invalid value '%s': %s",
			inst[idx].name, ex, why);
}

/* ---- the public API over the table -------------------------------------- */

size_t
prov_param_count(void)
{
	return param_count();
}

const char *
prov_param_name(size_t i)
{
	return param_name(i);
}

int
prov_param_is_secret(const char *name)
{
	long idx = param_find(name, strlen(name));

	return idx >= 0 && param_secret((size_t)idx);
}

const char *
prov_param_default(const char *name)
{
	long idx = param_find(name, strlen(name));

	return idx >= 0 ? param_def((size_t)idx, NULL)->defval : NULL;
}

const char *
prov_param_canon(const char *name, const char *value)
{
	long idx = param_find(name, strlen(name));
	const char *canon = NULL;
	struct diag d;

	diag_init(&d);
	if (idx < 0 || param_check((size_t)idx, value, strlen(value), &canon, &d) != PROV_OK ||
	    canon == NULL)
		return value;
	return canon;
}

enum prov_err
prov_param_check(const char *name, const char *value, char *msg, size_t msglen)
{
	long idx = param_find(name, strlen(name));
	const char *canon;
	struct diag d;
	enum prov_err rc;

	diag_init(&d);
	if (idx < 0) {
		if (msg != NULL && msglen > 0)
			snprintf(msg, msglen, "unknown parameter '%s'", name);
		return PROV_E_UNKNOWN;
	}
	rc = param_check((size_t)idx, value, strlen(value), &canon, &d);
	if (rc != PROV_OK)
		diag_format(&d, NULL, msg, msglen);
	return rc;
}
