using System.Collections.Concurrent;

namespace WechatSimulator.MiniProgram;

/// <summary>Login and phone codes already exchanged: WeChat's codes work once (40163 after that).</summary>
public sealed class CodeStore
{
    private readonly ConcurrentDictionary<(string AppId, string Code), byte> _used = new();

    /// <summary>True the first time a code is used for an account, false ever after.</summary>
    public bool TryUse(string appId, string code) => _used.TryAdd((appId, code), 0);

    public void Clear() => _used.Clear();
}
