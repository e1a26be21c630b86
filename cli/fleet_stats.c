/*
 * fleet_stats: what `prov fleet` counts, and how it shows it. See fleet.h.
 *
 * Latencies go into log-linear buckets (8 per power of two of
 * microseconds, as HdrHistogram does with 3 significant bits): constant
 * memory whatever the count, percentiles within 12.5 %. The timeline is
 * FLEET_SLOTS intervals of equal width; when time runs past the last one,
 * neighbours merge and the width doubles, so a run of any length keeps a
 * bounded, evenly spaced history.
 */
#include "fleet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

size_t
fleet_hist_bucket(int64_t us)
{
	uint64_t v = us < 0 ? 0 : (uint64_t)us;
	unsigned m;
	size_t b;

	if (v < 8)
		return (size_t)v;
	m = 63u - (unsigned)__builtin_clzll(v);
	b = (size_t)(m - 2) * 8 + (size_t)((v >> (m - 3)) & 7u);
	return b < FLEET_HIST_BUCKETS ? b : FLEET_HIST_BUCKETS - 1;
}

int64_t
fleet_hist_upper(size_t b)
{
	unsigned m;

	if (b < 8)
		return (int64_t)b;
	m = (unsigned)(b / 8) + 2;
	return (int64_t)(((uint64_t)(8 + b % 8 + 1) << (m - 3)) - 1);
}

int64_t
fleet_hist_pct(const uint64_t *h, double q)
{
	uint64_t total = 0, want, seen = 0;

	for (size_t i = 0; i < FLEET_HIST_BUCKETS; i++)
		total += h[i];
	if (total == 0)
		return 0;
	want = (uint64_t)(q * (double)total + 0.999999);
	if (want == 0)
		want = 1;
	for (size_t i = 0; i < FLEET_HIST_BUCKETS; i++) {
		seen += h[i];
		if (seen >= want)
			return fleet_hist_upper(i);
	}
	return fleet_hist_upper(FLEET_HIST_BUCKETS - 1);
}

int
fleet_stats_init(struct fleet_stats *st, int64_t t0_us)
{
	memset(st, 0, sizeof(*st));
	st->t0_us = t0_us;
	st->width_us = FLEET_SLOT_US;
	st->slots = calloc(FLEET_SLOTS, sizeof(*st->slots));
	return st->slots == NULL ? -1 : 0;
}

void
fleet_stats_fini(struct fleet_stats *st)
{
	free(st->slots);
	st->slots = NULL;
}

/* Halves the resolution of the timeline: slot i takes 2i and 2i+1. */
static void
slots_merge(struct fleet_stats *st)
{
	for (size_t i = 0; i < FLEET_SLOTS / 2; i++) {
		struct fleet_slot *d = &st->slots[i];
		const struct fleet_slot *a = &st->slots[2 * i], *b = &st->slots[2 * i + 1];
		struct fleet_slot m;

		m.done = a->done + b->done;
		m.ok = a->ok + b->ok;
		for (size_t k = 0; k < FLEET_HIST_BUCKETS; k++)
			m.lat[k] = a->lat[k] + b->lat[k];
		*d = m;
	}
	memset(&st->slots[FLEET_SLOTS / 2], 0, (FLEET_SLOTS / 2) * sizeof(*st->slots));
	st->width_us *= 2;
	st->nslots = (st->nslots + 1) / 2;
}

void
fleet_stats_add(struct fleet_stats *st, int64_t now_us, int ok, const char *err,
		int64_t lat_us)
{
	int64_t t = now_us - st->t0_us;
	size_t b = fleet_hist_bucket(lat_us), s;

	if (t < 0)
		t = 0;
	if (ok) {
		st->ok++;
	} else {
		size_t i;

		st->failed++;
		if (err == NULL || err[0] == '\0')
			err = "(no $ERR)";
		for (i = 0; i < st->nerrs && strcmp(st->errs[i].err, err) != 0; i++)
			;
		if (i == st->nerrs && i < FLEET_ERRS_MAX) {
			snprintf(st->errs[i].err, sizeof(st->errs[i].err), "%s", err);
			st->nerrs++;
		}
		if (i < st->nerrs)
			st->errs[i].n++;
		else
			st->errs_other++;
	}
	st->lat[b]++;
	if (lat_us > st->lat_max_us)
		st->lat_max_us = lat_us;
	while ((s = (size_t)(t / st->width_us)) >= FLEET_SLOTS)
		slots_merge(st);
	st->slots[s].done++;
	st->slots[s].ok += ok ? 1 : 0;
	st->slots[s].lat[b]++;
	if (s + 1 > st->nslots)
		st->nslots = s + 1;
}

static double
elapsed_s(const struct fleet_stats *st)
{
	return (double)(st->end_us - st->t0_us) / 1e6;
}

static double
ms(int64_t us)
{
	return (double)us / 1000.0;
}

/* A percentile of every resync: never above the largest one seen (a
 * bucket's upper bound can be). */
static double
pct_ms(const struct fleet_stats *st, double q)
{
	int64_t v = fleet_hist_pct(st->lat, q);

	return ms(v < st->lat_max_us ? v : st->lat_max_us);
}

/* The timeline as at most rows lines: a slot is printed as it is, or
 * several together when there are more. */
static void
timeline_print(FILE *out, const struct fleet_stats *st, size_t rows)
{
	size_t per = (st->nslots + rows - 1) / (rows > 0 ? rows : 1);

	if (per == 0)
		return;
	fprintf(out, "resyncs/s over time:\n");
	for (size_t i = 0; i < st->nslots; i += per) {
		uint64_t done = 0, okn = 0, h[FLEET_HIST_BUCKETS];
		size_t n = i + per <= st->nslots ? per : st->nslots - i;
		double w = (double)st->width_us * (double)n / 1e6;

		memset(h, 0, sizeof(h));
		for (size_t j = i; j < i + n; j++) {
			done += st->slots[j].done;
			okn += st->slots[j].ok;
			for (size_t k = 0; k < FLEET_HIST_BUCKETS; k++)
				h[k] += st->slots[j].lat[k];
		}
		fprintf(out, "  %8.1f s  %9.0f/s  ok %9.0f/s  p99 %9.2f ms\n",
			(double)st->width_us * (double)i / 1e6, (double)done / w, (double)okn / w,
			ms(fleet_hist_pct(h, 0.99)));
	}
}

void
fleet_summary(FILE *out, const struct fleet_stats *st, const struct fleet_info *in)
{
	double el = elapsed_s(st), done = (double)(st->ok + st->failed);

	fprintf(out, "fleet: %lu phones, %s, rule %s\n", in->count,
		in->storm ? "boot storm" : "explicit resyncs", in->rule);
	fprintf(out, "provisioned %llu of %lu", (unsigned long long)st->provisioned, in->count);
	if (st->provisioned > 0)
		fprintf(out, " (the last after %.3f s)", (double)st->last_provisioned_us / 1e6);
	fprintf(out, "\n");
	fprintf(out, "attempts %llu  successes %llu  failures %llu  cancelled %llu\n",
		(unsigned long long)st->attempts, (unsigned long long)st->ok,
		(unsigned long long)st->failed, (unsigned long long)st->cancelled);
	fprintf(out, "long retries %llu (failed resyncs whose next attempt is over %d s away)\n",
		(unsigned long long)st->long_retries, FLEET_LONG_RETRY_S);
	fprintf(out, "latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
		pct_ms(st, 0.5), pct_ms(st, 0.9), pct_ms(st, 0.99), pct_ms(st, 0.999),
		ms(st->lat_max_us));
	fprintf(out, "elapsed %.3f s  resyncs/s %.0f  cpu %.2f s (%.0f resyncs per CPU-second)\n",
		el, el > 0 ? done / el : 0.0, in->cpu_s, in->cpu_s > 0 ? done / in->cpu_s : 0.0);
	fprintf(out, "memory: peak RSS %.1f MB, %.0f phones/GB  (load average %.2f)\n",
		(double)in->rss_peak_kb / 1024.0,
		in->rss_peak_kb > 0 ? (double)in->count * 1048576.0 / (double)in->rss_peak_kb : 0.0,
		in->load1);
	if (st->failed > 0) {
		fprintf(out, "failures by $ERR:\n");
		for (size_t i = 0; i < st->nerrs; i++)
			fprintf(out, "  %10llu  %s\n", (unsigned long long)st->errs[i].n,
				st->errs[i].err);
		if (st->errs_other > 0)
			fprintf(out, "  %10llu  (other)\n", (unsigned long long)st->errs_other);
	}
	timeline_print(out, st, 20);
}

/* ---- the report ---------------------------------------------------------- */

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
xml_str(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20)
				fputc(*s, f);
		}
	}
}

static void
json_write(FILE *f, const struct fleet_stats *st, const struct fleet_info *in)
{
	double el = elapsed_s(st), w = (double)st->width_us / 1e6;

	fprintf(f, "{\n  \"count\": %lu,\n  \"rule\": ", in->count);
	json_str(f, in->rule);
	fprintf(f, ",\n  \"mode\": \"%s\",\n  \"concurrency\": %lu,\n", in->storm ? "boot-storm" : "explicit",
		in->concurrency);
	fprintf(f, "  \"elapsed_s\": %.3f,\n  \"attempts\": %llu,\n  \"successes\": %llu,\n"
		   "  \"failures\": %llu,\n  \"cancelled\": %llu,\n  \"provisioned\": %llu,\n"
		   "  \"last_provisioned_s\": %.3f,\n  \"long_retries\": %llu,\n"
		   "  \"long_retry_threshold_s\": %d,\n",
		el, (unsigned long long)st->attempts, (unsigned long long)st->ok,
		(unsigned long long)st->failed, (unsigned long long)st->cancelled,
		(unsigned long long)st->provisioned, (double)st->last_provisioned_us / 1e6,
		(unsigned long long)st->long_retries, FLEET_LONG_RETRY_S);
	fprintf(f, "  \"failures_by_err\": {");
	for (size_t i = 0; i < st->nerrs; i++) {
		fprintf(f, "%s\n    ", i > 0 ? "," : "");
		json_str(f, st->errs[i].err);
		fprintf(f, ": %llu", (unsigned long long)st->errs[i].n);
	}
	if (st->errs_other > 0)
		fprintf(f, "%s\n    \"(other)\": %llu", st->nerrs > 0 ? "," : "",
			(unsigned long long)st->errs_other);
	fprintf(f, "%s},\n", st->nerrs > 0 ? "\n  " : "");
	fprintf(f, "  \"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
		   "\"p999\": %.3f, \"max\": %.3f},\n",
		pct_ms(st, 0.5), pct_ms(st, 0.9), pct_ms(st, 0.99), pct_ms(st, 0.999),
		ms(st->lat_max_us));
	fprintf(f, "  \"resyncs_per_s\": %.1f,\n  \"cpu_s\": %.3f,\n"
		   "  \"resyncs_per_cpu_s\": %.1f,\n  \"rss_peak_kb\": %ld,\n  \"rss_kb\": %ld,\n"
		   "  \"load_average\": %.2f,\n",
		el > 0 ? (double)(st->ok + st->failed) / el : 0.0, in->cpu_s,
		in->cpu_s > 0 ? (double)(st->ok + st->failed) / in->cpu_s : 0.0,
		in->rss_peak_kb, in->rss_kb, in->load1);
	fprintf(f, "  \"interval_s\": %.3f,\n  \"timeline\": [", w);
	for (size_t i = 0; i < st->nslots; i++) {
		const struct fleet_slot *s = &st->slots[i];

		fprintf(f, "%s\n    {\"t\": %.3f, \"resyncs_per_s\": %.1f, \"ok_per_s\": %.1f, "
			   "\"p99_ms\": %.3f}",
			i > 0 ? "," : "", w * (double)i, (double)s->done / w, (double)s->ok / w,
			ms(fleet_hist_pct(s->lat, 0.99)));
	}
	fprintf(f, "%s]\n}\n", st->nslots > 0 ? "\n  " : "");
}

#define SVG_W 800
#define SVG_H 400
#define SVG_L 70   /* plot area margins */
#define SVG_R 70
#define SVG_T 40
#define SVG_B 50

/* A "nice" axis maximum at or above v: 1, 2 or 5 times a power of ten. */
static double
nice_max(double v)
{
	double p = 1;

	if (v <= 0)
		return 1;
	while (p * 10 <= v)
		p *= 10;
	while (p > v)
		p /= 10;
	if (v <= p)
		return p;
	if (v <= 2 * p)
		return 2 * p;
	if (v <= 5 * p)
		return 5 * p;
	return 10 * p;
}

static void
svg_line(FILE *f, const struct fleet_stats *st, int p99, double ymax, const char *color)
{
	double pw = SVG_W - SVG_L - SVG_R, ph = SVG_H - SVG_T - SVG_B;
	double w = (double)st->width_us / 1e6, span = w * (double)st->nslots;

	fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", color);
	for (size_t i = 0; i < st->nslots; i++) {
		const struct fleet_slot *s = &st->slots[i];
		double y = p99 ? ms(fleet_hist_pct(s->lat, 0.99)) : (double)s->done / w;
		double x = SVG_L + pw * (w * ((double)i + 0.5)) / span;

		fprintf(f, "%s%.1f,%.1f", i > 0 ? " " : "", x, SVG_T + ph - ph * y / ymax);
	}
	fprintf(f, "\"/>\n");
}

static void
svg_write(FILE *f, const struct fleet_stats *st, const struct fleet_info *in)
{
	double w = (double)st->width_us / 1e6, span = w * (double)(st->nslots > 0 ? st->nslots : 1);
	double rmax = 0, lmax = 0;
	int pw = SVG_W - SVG_L - SVG_R, ph = SVG_H - SVG_T - SVG_B;

	for (size_t i = 0; i < st->nslots; i++) {
		double r = (double)st->slots[i].done / w, l = ms(fleet_hist_pct(st->slots[i].lat, 0.99));

		if (r > rmax)
			rmax = r;
		if (l > lmax)
			lmax = l;
	}
	rmax = nice_max(rmax);
	lmax = nice_max(lmax);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		SVG_W, SVG_H, SVG_W, SVG_H);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"14\">prov fleet: %lu phones, %s, ",
		SVG_L, in->count, in->storm ? "boot storm" : "explicit resyncs");
	xml_str(f, in->rule);
	fprintf(f, "</text>\n");
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		   "stroke=\"#888\"/>\n", SVG_L, SVG_T, pw, ph);
	for (int k = 1; k < 4; k++)
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n",
			SVG_L, SVG_L + pw, SVG_T + ph * k / 4, SVG_T + ph * k / 4);
	for (int k = 0; k <= 4; k++) {
		int y = SVG_T + ph - ph * k / 4;

		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#1f4e9c\">%g</text>\n",
			SVG_L - 6, y + 4, rmax * k / 4);
		fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#c0392b\">%g</text>\n", SVG_L + pw + 6,
			y + 4, lmax * k / 4);
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%.4g</text>\n",
			SVG_L + pw * k / 4, SVG_T + ph + 18, span * k / 4);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time (s)</text>\n",
		SVG_L + pw / 2, SVG_H - 10);
	fprintf(f, "<text x=\"16\" y=\"%d\" fill=\"#1f4e9c\" transform=\"rotate(-90 16 %d)\" "
		   "text-anchor=\"middle\">resyncs/s</text>\n", SVG_T + ph / 2, SVG_T + ph / 2);
	fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#c0392b\" transform=\"rotate(90 %d %d)\" "
		   "text-anchor=\"middle\">p99 latency (ms)</text>\n",
		SVG_W - 16, SVG_T + ph / 2, SVG_W - 16, SVG_T + ph / 2);
	svg_line(f, st, 0, rmax, "#1f4e9c");
	svg_line(f, st, 1, lmax, "#c0392b");
	fprintf(f, "</svg>\n");
}

static int
write_file(const char *path, void (*fn)(FILE *, const struct fleet_stats *,
					 const struct fleet_info *),
	   const struct fleet_stats *st, const struct fleet_info *in)
{
	FILE *f = fopen(path, "w");
	int bad;

	if (f == NULL) {
		cli_err("fleet: %s: %s", path, strerror(errno));
		return -1;
	}
	fn(f, st, in);
	bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad) {
		cli_err("fleet: %s: write failed", path);
		return -1;
	}
	return 0;
}

int
fleet_report(const char *path, const struct fleet_stats *st, const struct fleet_info *in)
{
	size_t n = strlen(path);
	char *svg = malloc(n + 5);
	int rc;

	if (svg == NULL) {
		cli_err("fleet: out of memory");
		return -1;
	}
	memcpy(svg, path, n + 1);
	if (n > 5 && strcmp(path + n - 5, ".json") == 0)
		svg[n - 5] = '\0';
	strcat(svg, ".svg");
	rc = write_file(path, json_write, st, in);
	if (rc == 0)
		rc = write_file(svg, svg_write, st, in);
	free(svg);
	return rc;
}
