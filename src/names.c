/*
 * names.c - Images folder and file names from an original's name
 * (names.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "names.h"

int mint_name_has_folder(const char *name, uint64_t size)
{
	static const char *const image_ext[] = {
		".png", ".jpg", ".jpeg", ".jpe", ".webp", ".heic", ".heif",
		".avif", NULL
	};
	const char *const *ext;
	size_t len = strlen(name), n;

	if (!len || name[0] == '.' || name[len - 1] == '~')
		return 0;
	if (size)
		return 1;
	for (ext = image_ext; *ext; ext++) {
		n = strlen(*ext);
		if (len > n && !strcasecmp(name + len - n, *ext))
			return 0;
	}
	return 1;
}

size_t mint_name_cut(const char *s, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t cut = max;

	if (len <= max)
		return len;
	/* u[max] continues a character: cut before that character's lead */
	while (cut > 0 && max - cut < 3 && (u[cut] & 0xc0) == 0x80)
		cut--;
	return (u[cut] & 0xc0) == 0xc0 ? cut : max;
}

static size_t stem_len(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && dot != name ? (size_t)(dot - name) : strlen(name);
}

void mint_name_folder_choice(const char *name, unsigned k, char *buf)
{
	size_t stem = stem_len(name), room;
	int has_full = name[stem] != '\0';
	char num[16];

	if (k == 0 || (k == 1 && has_full)) {
		snprintf(buf, MINT_NAME_MAX + 1, "%.*s",
			 (int)(k ? strlen(name) : stem), name);
		return;
	}
	snprintf(num, sizeof(num), " (%u)", k + 1 - (unsigned)has_full);
	room = MINT_NAME_MAX - strlen(num);
	stem = mint_name_cut(name, stem, room);
	snprintf(buf, MINT_NAME_MAX + 1, "%.*s%s", (int)stem, name, num);
}

int mint_name_dir_has_folder(const char *name)
{
	size_t len = strlen(name);

	return len && name[0] != '.' && name[len - 1] != '~';
}

void mint_name_dir_choice(const char *name, unsigned k, char *buf)
{
	char num[16];
	size_t len;

	if (k == 0) {
		snprintf(buf, MINT_NAME_MAX + 1, "%s", name);
		return;
	}
	snprintf(num, sizeof(num), " (%u)", k + 1);
	len = mint_name_cut(name, strlen(name), MINT_NAME_MAX - strlen(num));
	snprintf(buf, MINT_NAME_MAX + 1, "%.*s%s", (int)len, name, num);
}

void mint_name_file_stem(const char *folder, char *buf)
{
	size_t n = mint_name_cut(folder, strlen(folder), MINT_FILE_STEM_MAX);

	memcpy(buf, folder, n);
	buf[n] = '\0';
}
