// Display of report figures and of the names of their groups.
import { duration, t } from '../i18n'
import { useDesk } from '../stores/desk'

export const pct = (v: number | null | undefined) => (v == null ? t('rep.none') : `${v.toFixed(1)}%`)
export const num = (v: number | null | undefined) => (v == null ? t('rep.none') : v.toLocaleString())
export const dur = (ms: number | null | undefined, count = 1) => (ms == null || !count ? t('rep.none') : duration(ms))

export type Dimension = 'channel' | 'team' | 'agent'

/** groupNamer names the groups of a dimension by id; 0 is no team or no agent. */
export function groupNamer() {
  const desk = useDesk()
  return (dim: Dimension, id: number) => {
    if (dim === 'channel') return desk.channelName(id) || '#0'
    if (dim === 'team') return id ? desk.teamName(id) : t('rep.noTeam')
    return id ? desk.agentName(id) : t('rep.noAgent')
  }
}

/** dimensionOptions are the choices of a per-group table. */
export const dimensionOptions = () => [
  { value: 'channel' as Dimension, label: t('rep.byChannel') },
  { value: 'team' as Dimension, label: t('rep.byTeam') },
  { value: 'agent' as Dimension, label: t('rep.byAgent') },
]

/** groupsOf picks a report's groups of one dimension. */
export function groupsOf<G>(f: { by_channel: G[] | null; by_team: G[] | null; by_agent: G[] | null } | undefined, dim: Dimension): G[] {
  if (!f) return []
  return (dim === 'channel' ? f.by_channel : dim === 'team' ? f.by_team : f.by_agent) ?? []
}
