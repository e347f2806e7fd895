#include "screens.h"

#include "../tui/ui.h"

static const struct screen_ops *const TABLE[SCREEN_COUNT] = {
#define SCREEN_ENTRY(id, name) [SCREEN_##id] = &name##_screen,
	SCREEN_INFO(SCREEN_ENTRY)
#undef SCREEN_ENTRY
};

const struct screen_ops *screens_ops(enum screen_id id)
{
	return TABLE[id];
}
