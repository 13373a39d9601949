// How a session is named in the list of sessions.

/** browserName makes "Firefox on Linux" of a User-Agent header; '' when it says nothing known. */
export function browserName(ua: string): string {
  const browser =
    /Edg\//.test(ua) ? 'Edge'
      : /OPR\//.test(ua) ? 'Opera'
        : /Firefox\//.test(ua) ? 'Firefox'
          : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
            : /Safari\//.test(ua) ? 'Safari'
              : ''
  const os =
    /Android/.test(ua) ? 'Android'
      : /iPhone|iPad/.test(ua) ? 'iOS'
        : /Windows/.test(ua) ? 'Windows'
          : /Mac OS X/.test(ua) ? 'macOS'
            : /Linux/.test(ua) ? 'Linux'
              : ''
  if (browser && os) return `${browser} · ${os}`
  return browser || os
}
