namespace WechatSimulator;

/// <summary>The simulator's own knobs, bound from the <c>Simulator</c> section.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Lifetime of an issued access_token; WeChat's is 7200 s.</summary>
    public int TokenLifetimeSeconds { get; set; } = 7200;

    /// <summary>How long a token stays usable after <c>cgi-bin/token</c> issues its successor; WeChat keeps both for 5 minutes.</summary>
    public int TokenGraceSeconds { get; set; } = 300;

    /// <summary>A forced <c>stable_token</c> refresh sooner than this after the last one returns the current token; WeChat asks for 30 s.</summary>
    public int StableForceRefreshIntervalSeconds { get; set; } = 30;

    /// <summary>
    /// When true, a customer-service message to a follower with no interaction on record answers 45015, as WeChat
    /// does; by default such a follower is treated as inside the window.
    /// </summary>
    public bool StrictCustomerServiceWindow { get; set; }

    /// <summary>
    /// The gateway the simulator sends its own pushes to (the MASSSENDJOBFINISH report of a mass send), e.g.
    /// <c>http://127.0.0.1:5080</c>; none are sent when empty. The account's <c>Token</c> signs them.
    /// </summary>
    public string? GatewayUrl { get; set; }
}
