#include "ui.h"

#include <curses.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../net/dynlib.h"
#include "widgets.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- screens ---- */

struct screen *ui_top(struct ui *ui)
{
	return ui->depth ? ui->stack[ui->depth - 1] : NULL;
}

static void cancel_request(struct ui *ui)
{
	if (ui->req.phase != PHASE_HTTP)
		return;
	client_call_cancel(&ui->req.run.call, ui->multi);
	action_release(&ui->req.run);
	ui->req.phase = PHASE_IDLE;
}

int ui_push(struct ui *ui, int id, const void *arg)
{
	if (ui->depth == UI_STACK_MAX || id < 0 || id >= ui->nscreens)
		return -1;
	const struct screen_ops *ops = ui->screens[id];
	struct screen *s = calloc(1, ops->size);
	if (!s) {
		ui_say(ui, C_ERROR, "%s", _("Mémoire insuffisante."));
		return -1;
	}
	s->id = id;
	s->ops = ops;
	if (ops->init && ops->init(ui, s, arg) != 0) {
		if (ops->release)
			ops->release(s);
		free(s);
		return -1;
	}
	ui->stack[ui->depth++] = s;
	if (ops->opened)
		ops->opened(ui, s);
	return 0;
}

void ui_pop(struct ui *ui)
{
	if (!ui->depth)
		return;
	struct screen *s = ui->stack[--ui->depth];
	if (ui->req.caller && ui->req.caller == s) {
		cancel_request(ui); /* the token store's part, if running, ends on its own */
		ui->req.caller = NULL;
	}
	if (s->ops->release)
		s->ops->release(s);
	free(s);
}

void ui_reset(struct ui *ui, int id, const void *arg)
{
	while (ui->depth)
		ui_pop(ui);
	ui_push(ui, id, arg);
}

static int role_screen(const struct ui *ui, enum screen_role role, int after)
{
	for (int id = after + 1; id < ui->nscreens; id++)
		if (ui->screens[id]->role == role)
			return id;
	return -1;
}

void ui_reset_role(struct ui *ui, enum screen_role role, const void *arg)
{
	ui_reset(ui, role_screen(ui, role, -1), arg);
}

void *ui_kept(struct ui *ui, const struct screen *s)
{
	if (!s->ops->kept_size || s->id >= UI_SCREENS_MAX)
		return NULL;
	if (!ui->kept[s->id])
		ui->kept[s->id] = calloc(1, s->ops->kept_size);
	return ui->kept[s->id];
}

/* ---- messages ---- */

void ui_say(struct ui *ui, enum color_role role, const char *fmt, ...)
{
	char text[sizeof ui->message];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	/* never colour alone: the words say it too */
	const char *prefix = role == C_OK ? _("[OK] ") : role == C_ERROR ? _("[Erreur] ") : "";
	snprintf(ui->message, sizeof ui->message, "%s%s", text[0] ? prefix : "", text);
	ui->message_role = role;
}

void ui_say_result(struct ui *ui, const struct action_run *run)
{
	ui_say(ui, run->r.outcome == CLIENT_OK ? C_OK : C_ERROR, "%s", run->r.message);
}

/* What the token store said goes after the message (a fallback notice names the file). */
static void say_note(struct ui *ui, const struct action_run *run)
{
	if (!run->note[0])
		return;
	if (run->status == EXIT_STORAGE) { /* the server may have said yes: this is still an error */
		ui_say(ui, C_ERROR, "%s %s", run->r.message, run->note);
		return;
	}
	size_t n = strlen(ui->message);
	snprintf(ui->message + n, sizeof ui->message - n, "%s%s", n ? " " : "", run->note);
}

/* ---- the session ---- */

static void session_clear(struct ui *ui)
{
	if (ui->admin.email[0])
		snprintf(ui->last_email, sizeof ui->last_email, "%s", ui->admin.email);
	credstore_free_token(ui->token);
	ui->token = NULL;
	ui->logged_in = 0;
	memset(&ui->admin, 0, sizeof ui->admin);
	for (int i = 0; i < UI_SCREENS_MAX; i++) { /* the next admin sees nothing of this one's work */
		free(ui->kept[i]);
		ui->kept[i] = NULL;
	}
}

static void session_begin(struct ui *ui, const char *token, const struct client_admin *admin)
{
	if (token) {
		credstore_free_token(ui->token);
		ui->token = strdup(token);
	}
	ui->admin = *admin;
	ui->logged_in = 1;
	snprintf(ui->last_email, sizeof ui->last_email, "%s", admin->email);
}

/* ---- requests ---- */

int ui_busy(const struct ui *ui)
{
	return ui->req.phase != PHASE_IDLE;
}

static void store_work(struct ui *ui)
{
	if (ui->req.phase == PHASE_LOAD)
		ui->job.token = credstore_load(&ui->cli->tokens, ui->job.msg, sizeof ui->job.msg);
	else
		action_end(&ui->req.run, &ui->cli->tokens);
}

static void *store_thread(void *arg)
{
	struct ui *ui = arg;
	store_work(ui);
	char done = 1;
	if (write(ui->job.pipe[1], &done, 1) != 1) {
		/* a pipe with room for one byte: cannot happen */
	}
	return NULL;
}

static void store_done(struct ui *ui);

/* The token store's part of a request, on a thread: the keyring may take seconds to answer. */
static void store_start(struct ui *ui, enum ui_phase phase)
{
	ui->req.phase = phase;
	ui->job.msg[0] = '\0';
	if (ui->job.pipe[0] >= 0 && pthread_create(&ui->job.thread, NULL, store_thread, ui) == 0) {
		ui->job.running = 1;
		return;
	}
	store_work(ui); /* no thread to be had: do it here */
	store_done(ui);
}

static void complete(struct ui *ui);
static void start_http(struct ui *ui);

/* A request's HTTP part ended: a next step, the store's part, or the end. */
static void http_done(struct ui *ui)
{
	if (action_answered(&ui->req.run, &ui->cli->net)) {
		start_http(ui);
		return;
	}
	if (action_touches_store(&ui->req.run)) {
		store_start(ui, PHASE_STORE);
		return;
	}
	action_end(&ui->req.run, &ui->cli->tokens);
	complete(ui);
}

/*
 * libcurl's multi handle, made with the first request: libcurl is loaded then, not
 * at start (dynlib.h). The server's code length and lifetimes are asked for at the
 * same moment, in the background: nothing waits for them (the code screen adopts
 * them when they come).
 */
static CURLM *network(struct ui *ui)
{
	if (ui->multi || dynlib_curl() != 0 || !(ui->multi = sym_curl_multi_init()))
		return ui->multi;
	if (action_check(&ui->meta_run, ACTION_META, NULL, NULL, &ui->cli->tokens) == EXIT_DONE &&
	    action_send(&ui->meta_run, &ui->cli->net) == EXIT_DONE && client_call_start(&ui->meta_run.call, ui->multi) == 0)
		ui->meta_busy = 1;
	else
		action_release(&ui->meta_run);
	return ui->multi;
}

static void start_http(struct ui *ui)
{
	if (client_call_start(&ui->req.run.call, network(ui)) != 0) {
		ui->req.run.r.outcome = CLIENT_UNREACHABLE;
		snprintf(ui->req.run.r.message, sizeof ui->req.run.r.message, "%s", _("Impossible de lancer la requête."));
		action_end(&ui->req.run, &ui->cli->tokens);
		complete(ui);
		return;
	}
	ui->req.phase = PHASE_HTTP;
}

int ui_request(struct ui *ui, enum action_id id, const struct action_input *in, ui_done_fn *done)
{
	if (ui_busy(ui)) {
		ui_say(ui, C_HINT, "%s", _("Une requête est déjà en cours (Échap pour l'annuler)."));
		return -1;
	}
	struct action_run *run = &ui->req.run;
	if (action_check(run, id, in, ui->token, &ui->cli->tokens) != EXIT_DONE ||
	    action_send(run, &ui->cli->net) != EXIT_DONE) {
		ui_say(ui, C_ERROR, "%s", run->r.message);
		action_release(run);
		return -1;
	}
	ui->req.caller = ui_top(ui);
	ui->req.done = done;
	ui->req.since = now_ms();
	ui->message[0] = '\0';
	start_http(ui);
	return 0;
}

static void resumed(struct ui *ui, struct screen *s, const struct action_run *run)
{
	(void)s;
	if (run->r.outcome == CLIENT_OK && run->r.has_admin) {
		session_begin(ui, NULL, &run->r.admin);
		ui_reset_role(ui, ROLE_HOME, NULL);
		ui_say(ui, C_OK, _("Session reprise : %s %s."), run->r.admin.prenom, run->r.admin.nom);
	} else {
		ui_say_result(ui, run);
	}
}

/* The request has ended: the session rules, then the screen that asked. */
static void complete(struct ui *ui)
{
	struct action_run run = ui->req.run; /* the callback may start the next request */
	struct screen *caller = ui->req.caller;
	ui_done_fn *done = ui->req.done;
	memset(&ui->req.run, 0, sizeof ui->req.run);
	ui->req.phase = PHASE_IDLE;
	snprintf(ui->where, sizeof ui->where, "%s", credstore_where(&ui->cli->tokens));
	if (action_starts_session(&run))
		session_begin(ui, run.r.token, &run.r.admin);
	if (run.token_forgotten)
		session_clear(ui);
	if (run.session_lost) {
		ui_reset_role(ui, ROLE_START, ui->last_email);
		ui_say(ui, C_ERROR, "%s", _("Session expirée : reconnectez-vous."));
	} else if (caller && done) {
		done(ui, caller, &run);
	}
	say_note(ui, &run);
	action_release(&run);
}

/* The token store's part is done: go on with the request. */
static void store_done(struct ui *ui)
{
	if (ui->req.phase == PHASE_STORE) {
		complete(ui);
		return;
	}
	/* PHASE_LOAD, at start: a stored token is checked with /api/admin/me */
	ui->req.phase = PHASE_IDLE;
	snprintf(ui->where, sizeof ui->where, "%s", credstore_where(&ui->cli->tokens));
	if (ui->job.msg[0])
		ui_say(ui, C_HINT, "%s", ui->job.msg);
	ui->token = ui->job.token;
	ui->job.token = NULL;
	if (ui->token && ui_request(ui, ACTION_WHOAMI, NULL, resumed) == 0)
		ui_say(ui, C_HINT, "%s", _("Vérification de la session…"));
}

static void meta_done(struct ui *ui)
{
	action_answered(&ui->meta_run, &ui->cli->net);
	if (ui->meta_run.r.has_meta)
		ui->meta = ui->meta_run.r.meta;
	action_release(&ui->meta_run);
	ui->meta_busy = 0;
}

/* ---- drawing ---- */

/* A horizontal rule: "─" in a UTF-8 locale (so screen dumps read as text), else "-". */
static void draw_rule(int y, int x, int width)
{
	for (int i = 0; i < width; i++)
		draw_text(y, x + i, 1, "─", 0);
}

/* A box of h rows and w columns at (y, x): a frame, a title in its top line, a footer in its bottom line. */
static void draw_box(int y, int x, int h, int w, const char *title, const char *footer, attr_t a)
{
	attron(a);
	for (int r = 0; r < h; r++)
		mvhline(y + r, x, ' ', w);
	attroff(a);
	for (int r = 1; r < h - 1; r++) {
		draw_text(y + r, x, 1, "│", (int)a);
		draw_text(y + r, x + w - 1, 1, "│", (int)a);
	}
	draw_text(y, x, 1, "┌", (int)a);
	draw_text(y, x + w - 1, 1, "┐", (int)a);
	draw_text(y + h - 1, x, 1, "└", (int)a);
	draw_text(y + h - 1, x + w - 1, 1, "┘", (int)a);
	attron(a);
	draw_rule(y, x + 1, w - 2);
	draw_rule(y + h - 1, x + 1, w - 2);
	attroff(a);
	char t[200];
	snprintf(t, sizeof t, " %s ", title);
	draw_text(y, x + 2, w - 4, t, (int)(a | A_BOLD));
	snprintf(t, sizeof t, " %s ", footer);
	draw_text(y + h - 1, x + 2, w - 4, t, (int)a);
}

/* The help overlay: every key, over the screen, within 60x18. */
static void draw_help(void)
{
	int h = KEYS_HELP_COUNT + 2, w = COLS - 2 < 72 ? COLS - 2 : 72;
	int y = 2 + (LINES - 3 - h) / 2, x = (COLS - w) / 2, keys_w = 17;
	attr_t a = colors_attr(C_STATUS);
	draw_box(y, x, h, w, _("Aide — touches"), _("Échap, Entrée ou F1 : fermer"), a);
	for (int i = 0; i < KEYS_HELP_COUNT; i++) {
		draw_text(y + 1 + i, x + 2, keys_w - 1, _(KEYS_HELP[i].keys), (int)(a | A_BOLD));
		draw_text(y + 1 + i, x + 2 + keys_w, w - keys_w - 4, _(KEYS_HELP[i].what), (int)a);
	}
	curs_set(0);
}

#define LEGEND_MAX 12
/*
 * The screen's keys above the messages, then help and quit, which always stay:
 * when the line is too narrow the highest ranks go first.
 */
static void draw_legend(const struct screen *s, int y, int width)
{
	struct legend items[LEGEND_MAX];
	int n = 0;
	for (const struct legend *l = s->ops->legend; l && l->keys && n < LEGEND_MAX - 2; l++)
		items[n++] = *l;
	items[n++] = (struct legend){ s->ops->takes_text ? N_("F1 ^G") : N_("? F1"), N_("aide"), 0 };
	items[n++] = (struct legend){ N_("^Q"), N_("quitter"), 0 };
	for (;;) {
		int total = 0, worst = -1;
		for (int i = 0; i < n; i++) {
			total += (int)(text_cells(_(items[i].keys)) + 1 + text_cells(_(items[i].what))) + (i ? 2 : 0);
			if (items[i].rank > 0 && (worst < 0 || items[i].rank >= items[worst].rank))
				worst = i;
		}
		if (total <= width || worst < 0)
			break;
		memmove(&items[worst], &items[worst + 1], (size_t)(n - worst - 1) * sizeof items[0]);
		n--;
	}
	for (int i = 0, x = 1; i < n && x < width; i++) {
		const char *keys = _(items[i].keys), *what = _(items[i].what);
		draw_text(y, x, width - x + 1, keys, (int)colors_attr(C_KEY));
		x += (int)text_cells(keys) + 1;
		draw_text(y, x, width - x + 1, what, (int)colors_attr(C_HINT));
		x += (int)text_cells(what) + 2;
	}
}

/* A message over up to UI_MESSAGE_ROWS rows, broken between words. */
static void draw_message(int y, int width, const char *utf8, int attr)
{
	wchar_t text[1400];
	size_t n = text_decode(utf8, text, 1399), at = 0;
	for (int row = 0; row < UI_MESSAGE_ROWS && at < n; row++) {
		size_t len = n - at;
		if (len > (size_t)width && row + 1 < UI_MESSAGE_ROWS) {
			len = (size_t)width;
			while (len > 0 && text[at + len] != L' ')
				len--;
			if (len == 0)
				len = (size_t)width;
		}
		char line[1400 * 4];
		text_encode(text + at, len < (size_t)width ? len : (size_t)width, line, sizeof line);
		draw_text(y + row, 1, width, line, attr);
		at += len;
		while (at < n && text[at] == L' ')
			at++;
	}
}

static void draw_status(struct ui *ui)
{
	static const char *const SPIN[] = { "|", "/", "-", "\\" };
	char status[1400];
	attr_t a = colors_attr(C_STATUS);
	attron(a);
	mvhline(LINES - 1, 0, ' ', COLS);
	attroff(a);
	snprintf(status, sizeof status, _(" %s · %s · jeton : %s"), ui->cli->net.base_url,
		 ui->logged_in ? ui->admin.email : _("non connecté"), ui->where);
	draw_text(LINES - 1, 0, COLS, status, (int)a);
	int y = LINES - 1 - UI_MESSAGE_ROWS;
	if (ui_busy(ui)) {
		char busy[256];
		long secs = (long)((now_ms() - ui->req.since) / 1000);
		if (ui->req.phase == PHASE_HTTP)
			snprintf(busy, sizeof busy, _("%s Requête en cours… %lds (Échap pour annuler)"),
				 SPIN[(now_ms() / 150) % 4], secs);
		else
			snprintf(busy, sizeof busy, _("%s Trousseau de clés… %lds"), SPIN[(now_ms() / 150) % 4], secs);
		draw_text(y, 1, COLS - 2, busy, (int)colors_attr(C_HINT));
	} else if (ui->message[0]) {
		draw_message(y, COLS - 2, ui->message, (int)colors_attr(ui->message_role));
	}
	struct screen *s = ui_top(ui);
	if (s)
		draw_legend(s, y - 1, COLS - 2);
}

/*
 * GUICHET_SCREEN_DUMP=FILE: after each redraw, the screen's text goes to FILE
 * (as tig's :save-display), so tests can compare whole screens exactly.
 */
static void dump_screen(const char *path)
{
	if (!path || !*path)
		return;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	wchar_t line[1024];
	char out[4096];
	int cy, cx;
	getyx(stdscr, cy, cx);
	for (int y = 0; y < LINES; y++) {
		int n = mvinnwstr(y, 0, line, COLS < 1023 ? COLS : 1023);
		size_t len = text_encode(line, n > 0 ? (size_t)n : 0, out, sizeof out);
		while (len && out[len - 1] == ' ')
			len--;
		out[len] = '\0';
		fprintf(f, "%s\n", out);
	}
	move(cy, cx);
	if (fclose(f) == 0)
		rename(tmp, path);
}

static void draw(struct ui *ui)
{
	erase();
	curs_set(0);
	if (COLS < UI_MIN_COLS || LINES < UI_MIN_ROWS) {
		char msg[128];
		snprintf(msg, sizeof msg, _("Terminal trop petit : %dx%d (minimum %dx%d)"), COLS, LINES, UI_MIN_COLS,
			 UI_MIN_ROWS);
		draw_text(LINES / 2, 0, COLS, msg, (int)colors_attr(C_ERROR));
		refresh();
		return;
	}
	struct screen *s = ui_top(ui);
	if (s) {
		char title[200];
		snprintf(title, sizeof title, "guichet — %s", _(s->ops->title));
		draw_text(0, 2, COLS - 4, title, (int)colors_attr(C_TITLE));
		draw_rule(1, 0, COLS);
	}
	draw_status(ui);
	if (s)
		s->ops->draw(ui, s); /* last, so the cursor ends in the focused field */
	if (ui->help_open)
		draw_help();
	refresh();
	dump_screen(ui->dump_path);
}

/* ---- input ---- */

static void handle_key(struct ui *ui, const struct key *k)
{
	if (k->req == REQ_QUIT) {
		ui->quit = 1;
		return;
	}
	if (k->req == REQ_RESIZE || k->req == REQ_NONE)
		return;
	if (ui->help_open) {
		if (k->req == REQ_HELP || k->req == REQ_BACK || k->req == REQ_SUBMIT || (k->req == REQ_CHAR && k->ch == L'?'))
			ui->help_open = 0;
		return;
	}
	if (k->req == REQ_HELP) {
		ui->help_open = 1;
		return;
	}
	if (k->req == REQ_BACK && ui->req.phase == PHASE_HTTP) {
		cancel_request(ui);
		ui_say(ui, C_HINT, "%s", _("Requête annulée."));
		return;
	}
	if (k->req == REQ_BACK && ui_busy(ui)) {
		ui_say(ui, C_HINT, "%s", _("Patientez : le trousseau de clés répond."));
		return;
	}
	struct screen *s = ui_top(ui);
	if (s && s->ops->action(ui, s, k) == HANDLED)
		return;
	if (k->req == REQ_CHAR && k->ch == L'?') /* no field took it */
		ui->help_open = 1;
	else if (k->req == REQ_BACK && ui->depth > 1) {
		ui_pop(ui);
		ui->message[0] = '\0';
	}
}

/* ---- start-up and the loop ---- */

/* Sleeps until a key, a network event, the store's thread or the timeout; 1 when exchanges ended. */
static int wait_events(struct ui *ui, int timeout_ms)
{
	int nfds = ui->job.pipe[0] >= 0 ? 2 : 1;
	if (!ui->multi) { /* no request yet: libcurl is not even loaded */
		struct pollfd fds[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = ui->job.pipe[0], .events = POLLIN } };
		poll(fds, (nfds_t)nfds, timeout_ms);
		return 0;
	}
	struct curl_waitfd fds[2] = {
		{ .fd = STDIN_FILENO, .events = CURL_WAIT_POLLIN },
		{ .fd = ui->job.pipe[0], .events = CURL_WAIT_POLLIN },
	};
	sym_curl_multi_poll(ui->multi, fds, (unsigned)nfds, timeout_ms, NULL);
	int running;
	sym_curl_multi_perform(ui->multi, &running);
	return transport_collect(ui->multi);
}

static void loop(struct ui *ui)
{
	draw(ui);
	while (!ui->quit) {
		struct screen *s = ui_top(ui);
		/* idle: block until a key, a network event or the store's thread; the spinner and countdowns need redraws */
		int timeout = ui_busy(ui) ? 150 : (s && s->ops->ticks) ? 1000 : 60000;
		if (wait_events(ui, timeout)) {
			if (ui->meta_busy && client_call_done(&ui->meta_run.call))
				meta_done(ui);
			if (ui->req.phase == PHASE_HTTP && client_call_done(&ui->req.run.call))
				http_done(ui);
		}
		char byte;
		if (ui->job.running && read(ui->job.pipe[0], &byte, 1) == 1) { /* the store's thread is done */
			pthread_join(ui->job.thread, NULL);
			ui->job.running = 0;
			store_done(ui);
		}
		struct key k;
		while (!ui->quit && keys_read(&k))
			handle_key(ui, &k);
		draw(ui);
	}
}

int ui_main(struct cli *cli, const struct screen_ops *const *screens, int nscreens)
{
	struct ui ui = {
		.cli = cli,
		.screens = screens,
		.nscreens = nscreens < UI_SCREENS_MAX ? nscreens : UI_SCREENS_MAX,
		.meta = { .otp_digits = 6, .citizen_otp_ttl = 300, .admin_otp_ttl = 600 },
		.dump_path = getenv("GUICHET_SCREEN_DUMP"),
		.job = { .pipe = { -1, -1 } },
	};
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s", _("guichet: l'interface a besoin d'un terminal ; pour les scripts, utilisez une "
					"commande (guichet --help)\n"));
		return EXIT_USAGE;
	}
	SCREEN *term = newterm(NULL, stdout, stdin);
	if (!term) {
		fprintf(stderr, _("guichet: terminal inutilisable (TERM=%s)\n"), getenv("TERM") ? getenv("TERM") : "");
		return EXIT_USAGE;
	}
	if (pipe(ui.job.pipe) == 0) {
		fcntl(ui.job.pipe[0], F_SETFL, O_NONBLOCK);
		fcntl(ui.job.pipe[0], F_SETFD, FD_CLOEXEC);
		fcntl(ui.job.pipe[1], F_SETFD, FD_CLOEXEC);
	} else {
		ui.job.pipe[0] = ui.job.pipe[1] = -1;
	}
	snprintf(ui.where, sizeof ui.where, "%s", credstore_where(&cli->tokens));
	set_escdelay(25);
	raw();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	colors_init();
	ui_reset_role(&ui, ROLE_START, NULL);
	for (int id = role_screen(&ui, ROLE_NOTICE, -1); id >= 0; id = role_screen(&ui, ROLE_NOTICE, id))
		ui_push(&ui, id, NULL);
	/* a stored token opens the menu once checked; the store may be slow (the keyring): a thread reads it */
	ui.req.since = now_ms();
	store_start(&ui, PHASE_LOAD);
	loop(&ui);
	cancel_request(&ui);
	if (ui.meta_busy) {
		client_call_cancel(&ui.meta_run.call, ui.multi);
		action_release(&ui.meta_run);
	}
	while (ui.depth)
		ui_pop(&ui);
	endwin();
	delscreen(term);
	if (ui.job.running) /* a token being saved or removed is not left half done */
		pthread_join(ui.job.thread, NULL);
	if (ui.req.phase == PHASE_STORE)
		action_release(&ui.req.run);
	credstore_free_token(ui.job.token);
	if (ui.multi)
		sym_curl_multi_cleanup(ui.multi);
	session_clear(&ui);
	if (ui.job.pipe[0] >= 0) {
		close(ui.job.pipe[0]);
		close(ui.job.pipe[1]);
	}
	return EXIT_DONE;
}
