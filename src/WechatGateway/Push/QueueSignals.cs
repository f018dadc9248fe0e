using WechatGateway.Operations;

namespace WechatGateway.Push;

/// <summary>A send was added (or replayed) in this process: the relay looks for pending sends.</summary>
public sealed class RelaySignal : WakeSignal;

/// <summary>The relay put entries on the stream: the dispatcher reads.</summary>
public sealed class DispatchSignal : WakeSignal;
