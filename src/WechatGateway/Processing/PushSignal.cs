using WechatGateway.Operations;

namespace WechatGateway.Processing;

/// <summary>Wakes the processing stage in this process as soon as a batch with new pushes is committed.</summary>
public sealed class PushSignal : WakeSignal;
