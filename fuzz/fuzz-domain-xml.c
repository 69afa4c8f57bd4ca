/* The domain XML reader: no crash or leak on any input, read as the live and as the persistent
 * definition into one domain (as virt/ merges them). Every entry has a canonical host address,
 * a canonical guest address if any, says where it was found, and the list stays sorted with one
 * entry per host address. */
#include <string.h>

#include "fuzz-common.h"
#include "pass-address.h"
#include "pass-error.h"
#include "xml-read.h"

static void
check_domain(const PassDomain *domain, guint where)
{
  GPtrArray *hostdevs = domain->hostdevs;

  for (guint i = 0; i < hostdevs->len; i++) {
    const PassHostdev *h = g_ptr_array_index(hostdevs, i);

    FUZZ_CHECK(h->address != NULL);
    fuzz_check_canonical_id(h->address);
    if (h->guest_address)
      fuzz_check_canonical(h->guest_address);
    FUZZ_CHECK(h->where != 0 && (h->where & ~where) == 0);
    FUZZ_CHECK(h->alias == NULL || g_utf8_validate(h->alias, -1, NULL));
    if (i > 0) {
      const PassHostdev *prev = g_ptr_array_index(hostdevs, i - 1);
      FUZZ_CHECK(strcmp(prev->address, h->address) < 0);
    }
    FUZZ_CHECK(pass_domain_find_hostdev(domain, h->address) == h);
  }
}

FUZZ_DEFINE_INITIALIZE_QUIET()

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *xml = fuzz_string(data, size);
  g_autoptr(PassDomain) domain = pass_domain_new("fuzz");
  g_autoptr(GError) error = NULL;

  if (!pass_xml_read_domain_hostdevs(xml, PASS_HOSTDEV_LIVE, domain, &error)) {
    FUZZ_CHECK(error != NULL && error->domain == PASS_ERROR);
    return 0;
  }
  FUZZ_CHECK(error == NULL);
  check_domain(domain, PASS_HOSTDEV_LIVE);

  /* The same XML as the persistent definition: merged into the same entries, none added. */
  guint n = domain->hostdevs->len;
  FUZZ_CHECK(pass_xml_read_domain_hostdevs(xml, PASS_HOSTDEV_CONFIG, domain, NULL));
  FUZZ_CHECK(domain->hostdevs->len == n);
  check_domain(domain, PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG);
  for (guint i = 0; i < n; i++)
    FUZZ_CHECK(((PassHostdev *)g_ptr_array_index(domain->hostdevs, i))->where ==
               (PASS_HOSTDEV_LIVE | PASS_HOSTDEV_CONFIG));
  return 0;
}
