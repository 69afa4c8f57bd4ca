/* What any one-shot tool pays without passd, and what libvirt's test driver alone costs in a
 * process: open the URI, list the PCI node devices and fetch each one's XML. Prints the time
 * and this process's VmRSS afterwards. Under test:/// the driver (with its own copy of every
 * device definition) lives in the calling process, as it does in passd's.
 *
 * Usage: bench-libvirt URI */
#include <glib.h>
#include <libvirt/libvirt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A /proc/self/status field in MB ("VmRSS", "RssAnon", "RssFile"). */
static double
status_mb(const char *field)
{
  g_autofree char *status = NULL;
  g_autofree char *key = g_strconcat("\n", field, ":", NULL);
  const char *line;

  if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr(status, key)) == NULL)
    return -1;
  return g_ascii_strtod(line + strlen(key), NULL) / 1024.0;
}

int
main(int argc, char **argv)
{
  virNodeDevicePtr *devices = NULL;
  gint64 start, opened;
  gsize xml_bytes = 0;
  int n;

  if (argc != 2) {
    fprintf(stderr, "usage: %s URI\n", argv[0]);
    return 2;
  }
  start = g_get_monotonic_time();
  virConnectPtr conn = virConnectOpen(argv[1]);
  if (conn == NULL)
    return 1;
  opened = g_get_monotonic_time();
  n = virConnectListAllNodeDevices(conn, &devices, VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV);
  for (int i = 0; i < n; i++) {
    char *xml = virNodeDeviceGetXMLDesc(devices[i], 0);
    xml_bytes += xml ? strlen(xml) : 0;
    free(xml);
    virNodeDeviceFree(devices[i]);
  }
  free(devices);
  gint64 end = g_get_monotonic_time();
  double rss = status_mb("VmRSS");
  /* What is still live, rather than freed heap glibc has not given back. */
  malloc_trim(0);
  printf("devices=%d open_ms=%.1f list_xml_ms=%.1f xml_mib=%.1f rss_mb=%.1f trimmed_rss_mb=%.1f "
         "anon_mb=%.1f file_mb=%.1f\n",
         n, (opened - start) / 1000.0, (end - opened) / 1000.0, xml_bytes / 1048576.0, rss,
         status_mb("VmRSS"), status_mb("RssAnon"), status_mb("RssFile"));
  virConnectClose(conn);
  return n < 0;
}
