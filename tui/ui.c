#include "ui.h"

#include <curses.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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
	if (!ui->busy)
		return;
	client_call_cancel(&ui->call, ui->multi);
	client_call_free(&ui->call);
	ui->busy = 0;
}

void ui_push(struct ui *ui, enum screen_id id, const void *arg)
{
	if (ui->depth == UI_STACK_MAX)
		return;
	const struct screen_ops *ops = screens_ops(id);
	struct screen *s = ops->create(ui, arg);
	if (!s) {
		ui_say(ui, C_ERROR, "Mémoire insuffisante.");
		return;
	}
	s->id = id;
	s->ops = ops;
	ui->stack[ui->depth++] = s;
	if (ops->opened)
		ops->opened(ui, s);
}

void ui_pop(struct ui *ui)
{
	if (!ui->depth)
		return;
	cancel_request(ui);
	struct screen *s = ui->stack[--ui->depth];
	s->ops->destroy(s);
}

void ui_reset(struct ui *ui, enum screen_id id, const void *arg)
{
	while (ui->depth)
		ui_pop(ui);
	ui_push(ui, id, arg);
}

/* ---- messages ---- */

void ui_say(struct ui *ui, enum color_role role, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->message, sizeof ui->message, fmt, ap);
	va_end(ap);
	ui->message_role = role;
}

void ui_say_result(struct ui *ui, const struct client_result *r)
{
	if (r->outcome == CLIENT_REFUSED && r->retry_after > 0)
		ui_say(ui, C_ERROR, "%s", r->message);
	else
		ui_say(ui, r->outcome == CLIENT_OK ? C_OK : C_ERROR, "%s", r->message);
}

/* ---- requests ---- */

int ui_busy(struct ui *ui)
{
	if (ui->busy)
		ui_say(ui, C_HINT, "Une requête est déjà en cours (Échap pour l'annuler).");
	return ui->busy;
}

void ui_send(struct ui *ui, ui_done_fn *on_done)
{
	ui->caller = ui_top(ui);
	ui->on_done = on_done;
	if (client_call_start(&ui->call, ui->multi) != 0) {
		client_call_free(&ui->call);
		ui_say(ui, C_ERROR, "Impossible de lancer la requête.");
		return;
	}
	ui->busy = 1;
	ui->busy_since = now_ms();
	ui->message[0] = '\0';
}

int ui_send_prepared(struct ui *ui, int prepare_rc, ui_done_fn *on_done)
{
	if (prepare_rc != 0) {
		client_call_free(&ui->call);
		ui_say(ui, C_ERROR, "Requête impossible à préparer (adresse du serveur ?).");
		return 0;
	}
	ui_send(ui, on_done);
	return 1;
}

static void finish_request(struct ui *ui)
{
	struct client_result r;
	client_call_result(&ui->call, &r);
	ui->busy = 0;
	struct screen *caller = ui->caller;
	ui_done_fn *done = ui->on_done;
	done(ui, caller, &r);
	memset(r.token, 0, sizeof r.token);
	client_call_free(&ui->call);
}

/* ---- session ---- */

void ui_session_start(struct ui *ui, const char *token, const struct client_admin *admin)
{
	char msg[512];
	if (token && (!ui->token || strcmp(ui->token, token) != 0)) {
		credstore_free_token(ui->token);
		ui->token = strdup(token);
		if (credstore_save(&ui->cli->tokens, token, msg, sizeof msg) != 0 && msg[0])
			ui_say(ui, C_HINT, "%s", msg);
	}
	if (admin)
		ui->admin = *admin;
	ui->logged_in = 1;
}

void ui_session_end(struct ui *ui)
{
	char msg[512];
	credstore_free_token(ui->token);
	ui->token = NULL;
	ui->logged_in = 0;
	memset(&ui->admin, 0, sizeof ui->admin);
	credstore_clear(&ui->cli->tokens, msg, sizeof msg);
}

int ui_session_lost(struct ui *ui, const struct client_result *r)
{
	if (!r->auth_failed || !ui->logged_in)
		return 0;
	char email[320];
	snprintf(email, sizeof email, "%s", ui->admin.email);
	ui_session_end(ui);
	ui_reset(ui, SCREEN_CONNEXION, email);
	ui_say(ui, C_ERROR, "Session expirée : reconnectez-vous.");
	return 1;
}

/* ---- drawing ---- */

/* A horizontal rule: a real "─" in a UTF-8 locale (so screen dumps read as text), else the ACS line. */
static void draw_rule(int y)
{
	if (MB_CUR_MAX > 1) {
		for (int x = 0; x < COLS; x++)
			mvaddwstr(y, x, L"─");
	} else {
		mvhline(y, 0, ACS_HLINE, COLS);
	}
}

/* The help overlay lists every action that has a help text in keys.h. */
static void draw_help(struct ui *ui)
{
	int n = 0;
	for (int a = 0; a < ACT_COUNT; a++)
		n += keys_help((enum action)a)[0] != '\0';
	int h = n + 7, w = COLS - 4 < 72 ? COLS - 4 : 72, y = (LINES - h) / 2, x = (COLS - w) / 2;
	attr_t a = colors_attr(C_STATUS);
	attron(a);
	for (int r = 0; r < h; r++)
		mvhline(y + r, x, ' ', w);
	attroff(a);
	draw_text(y + 1, x + 2, w - 4, "Aide — touches", (int)(a | A_BOLD));
	for (int act = 0, row = 0; act < ACT_COUNT; act++)
		if (keys_help((enum action)act)[0])
			draw_text(y + 3 + row++, x + 2, w - 4, keys_help((enum action)act), (int)a);
	draw_text(y + 3 + n, x + 2, w - 4, "1 à 6 : choix du menu", (int)a);
	struct screen *s = ui_top(ui);
	if (s && s->ops->hint)
		draw_text(y + h - 2, x + 2, w - 4, s->ops->hint, (int)a);
	curs_set(0);
}

static void draw_status(struct ui *ui)
{
	static const char *const SPIN[] = { "|", "/", "-", "\\" };
	char status[1200];
	attr_t a = colors_attr(C_STATUS);
	attron(a);
	mvhline(LINES - 1, 0, ' ', COLS);
	attroff(a);
	snprintf(status, sizeof status, " %s · %s · jeton : %s", ui->cli->net.base_url,
		 ui->logged_in ? ui->admin.email : "non connecté", credstore_where(&ui->cli->tokens));
	draw_text(LINES - 1, 0, COLS, status, (int)a);
	if (ui->busy) {
		char busy[128];
		long secs = (long)((now_ms() - ui->busy_since) / 1000);
		snprintf(busy, sizeof busy, "%s Requête en cours… %lds (Échap pour annuler)",
			 SPIN[(now_ms() / 150) % 4], secs);
		draw_text(LINES - 2, 1, COLS - 2, busy, (int)colors_attr(C_HINT));
	} else if (ui->message[0]) {
		draw_text(LINES - 2, 1, COLS - 2, ui->message, (int)colors_attr(ui->message_role));
	}
	struct screen *s = ui_top(ui);
	if (s && s->ops->hint)
		draw_text(LINES - 3, 1, COLS - 2, s->ops->hint, (int)colors_attr(C_HINT));
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
		line[n > 0 ? n : 0] = 0;
		size_t len = wcstombs(out, line, sizeof out - 1);
		if (len == (size_t)-1)
			len = 0;
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
		snprintf(msg, sizeof msg, "Terminal trop petit : %dx%d (minimum %dx%d)", COLS, LINES, UI_MIN_COLS,
			 UI_MIN_ROWS);
		draw_text(LINES / 2, 0, COLS, msg, (int)colors_attr(C_ERROR));
		refresh();
		return;
	}
	struct screen *s = ui_top(ui);
	if (s) {
		char title[200];
		snprintf(title, sizeof title, "guichet — %s", s->ops->title);
		draw_text(0, 2, COLS - 4, title, (int)colors_attr(C_TITLE));
		draw_rule(1);
	}
	draw_status(ui);
	if (s)
		s->ops->draw(ui, s); /* last, so the cursor ends in the focused field */
	if (ui->help_open)
		draw_help(ui);
	refresh();
	dump_screen(ui->dump_path);
}

/* ---- input ---- */

static void handle_key(struct ui *ui, const struct key *k)
{
	if (k->action == ACT_QUIT) {
		ui->quit = 1;
		return;
	}
	if (k->action == ACT_RESIZE)
		return;
	if (ui->help_open) {
		if (k->action == ACT_HELP || k->action == ACT_BACK || k->action == ACT_SUBMIT)
			ui->help_open = 0;
		return;
	}
	if (k->action == ACT_HELP) {
		ui->help_open = 1;
		return;
	}
	if (k->action == ACT_BACK && ui->busy) {
		cancel_request(ui);
		ui_say(ui, C_HINT, "Requête annulée.");
		return;
	}
	struct screen *s = ui_top(ui);
	if (s && s->ops->action(ui, s, k) == HANDLED)
		return;
	if (k->action == ACT_BACK && ui->depth > 1) {
		ui_pop(ui);
		ui->message[0] = '\0';
	}
}

/* ---- start-up and the loop ---- */

static void check_stored_token_done(struct ui *ui, struct screen *s, const struct client_result *r)
{
	(void)s;
	if (r->outcome == CLIENT_OK && r->has_admin) {
		ui_session_start(ui, NULL, &r->admin);
		ui_reset(ui, SCREEN_MENU, NULL);
		ui_say(ui, C_OK, "Session reprise : %s %s.", r->admin.prenom, r->admin.nom);
	} else if (r->auth_failed) {
		ui_session_end(ui);
		ui_say(ui, C_ERROR, "Session expirée : reconnectez-vous.");
	} else {
		ui_say(ui, C_ERROR, "%s", r->message);
	}
}

static void resume_session(struct ui *ui)
{
	char warn[512];
	ui->token = credstore_load(&ui->cli->tokens, warn, sizeof warn);
	if (warn[0])
		ui_say(ui, C_HINT, "%s", warn);
	if (!ui->token)
		return;
	ui_say(ui, C_HINT, "Vérification de la session…");
	ui_send_prepared(ui, client_me(&ui->call, &ui->cli->net, ui->token), check_stored_token_done);
}

static long env_number(const char *name, long def, long min, long max)
{
	const char *v = getenv(name);
	char *end;
	long n = v ? strtol(v, &end, 10) : def;
	return (!v || *end || n < min || n > max) ? def : n;
}

static void loop(struct ui *ui)
{
	int stdin_fd = STDIN_FILENO;
	struct curl_waitfd term = { .fd = stdin_fd, .events = CURL_WAIT_POLLIN };
	draw(ui);
	while (!ui->quit) {
		struct screen *s = ui_top(ui);
		/* idle: block until a key or network event; the spinner and countdowns need redraws */
		int timeout = ui->busy ? 150 : (s && s->ops->ticks) ? 1000 : 60000;
		curl_multi_poll(ui->multi, &term, 1, timeout, NULL);
		int running;
		curl_multi_perform(ui->multi, &running);
		if (transport_collect(ui->multi) && ui->busy && client_call_done(&ui->call))
			finish_request(ui);
		wint_t wch;
		int rc;
		while (!ui->quit && (rc = get_wch(&wch)) != ERR) {
			struct key k = keys_map(rc, wch);
			handle_key(ui, &k);
		}
		draw(ui);
	}
}

int ui_main(struct cli *cli)
{
	struct ui ui = {
		.cli = cli,
		.otp_digits = (int)env_number("GUICHET_OTP_DIGITS", 6, 4, 10),
		.admin_otp_ttl = env_number("GUICHET_ADMIN_OTP_TTL", 600, 1, 86400),
		.dump_path = getenv("GUICHET_SCREEN_DUMP"),
	};
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "guichet: the terminal UI needs a terminal; use a subcommand for scripts (guichet --help)\n");
		return EXIT_USAGE;
	}
	SCREEN *term = newterm(NULL, stdout, stdin);
	if (!term) {
		fprintf(stderr, "guichet: cannot use this terminal (TERM=%s)\n", getenv("TERM") ? getenv("TERM") : "");
		return EXIT_USAGE;
	}
	ui.multi = curl_multi_init();
	set_escdelay(25);
	raw();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	colors_init();
	ui_push(&ui, SCREEN_CONNEXION, NULL);
	const char *notice = getenv("GUICHET_NOTICE"); /* a first message, as make demo gives */
	if (notice && *notice)
		ui_say(&ui, C_HINT, "%s", notice);
	resume_session(&ui);
	loop(&ui);
	cancel_request(&ui);
	while (ui.depth)
		ui_pop(&ui);
	endwin();
	delscreen(term);
	curl_multi_cleanup(ui.multi);
	credstore_free_token(ui.token);
	return EXIT_DONE;
}
