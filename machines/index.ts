// The public face of the model: everything consumers (CLI, viewer, model-tests, docs) use.
export * from './vocabulary.ts';
export type * from './profile.ts';
export { applyDelta, CONFIG_OPS } from './profile.ts';
export { PROFILES, getProfile, loadProfile, profileNames, validateProfile } from './profiles/index.ts';
export { decide, decideAll, evalCond, buildReply, replyViolation, commandNotFound, knownCommands, movingRule, reportedStatus, uriScheme, type Decision } from './rules.ts';
export { chartConfig, chartEdges, flatTree, leafPaths, statePaths, within, stateId, REGIONS, MIRROR, type ChartEdge, type ChartSpec, type TransitionMeta, type Region, type StateTree } from './chart.ts';
export { coloChart, COLO_TREE } from './colo.ts';
export { failoverChart, FAILOVER_STATUSES } from './failover.ts';
export { returnPathChart, RP_STATES } from './return-path.ts';
export { sourceStatusChart } from './source-status.ts';
export { destinationStatusChart } from './destination-status.ts';
export { runStateChart, RUN_STATES_OF } from './run-state.ts';
export { sideMachine, bootSide, startSide, stepSide, qmp, viewOf, valueOfContext, initialSideState, type SideInput, type SideSnapshot, type StepResult } from './side.ts';
export { exploreSide, SideSearch, locate, answer, mayMove, stateKey, movingProbes, matrixProbes, probeEvent, MIGRATION_URI, type Probe, type Reached, type StateQuery } from './explore.ts';
export { permissionMatrix, matrixMarkdown, eventLabel, CAP_VARIANTS, type Matrix, type MatrixRow, type Cell } from './matrix.ts';
export { STATUS_DOC, RUNSTATE_DOC } from './docs-text.ts';
export { internalClosure, explain, applyCommand, advanceBy, agrees, announce, type Hypothesis, type Observation, type CommandOutcome } from './observe.ts';
export { channelMachine, startChannel, stepChannel, type ChannelSnapshot, type ChannelEvent } from './channel.ts';
export {
  SYNC, FAULTS, startPair, stepPair, enabledInternal, pairView, composeStep, enabledSyncs, snapshotStepper, syncSpec,
  type PairView, type ChannelValue, type Composite, type Stepper, type CommandResult, type Sent, type PairState, type PairEvent, type PairStep, type PairReply, type PairInput, type SyncSpec, type Fault } from './pair.ts';
export { fastStep, contextKey } from './fast-step.ts';
export {
  StateGraph, graphOf, hypsOf, closure, takeEvent, runCommand, startObservation, settleReply, settleEnd, stepEvents, runStateEvents, loadFailureExits, exitEvents, stampedPlace, hypKey, sameOutcome,
  type EventKey, type GNode, type Hyp, type CmdResult, type Outcome,
} from './inclusion.ts';
