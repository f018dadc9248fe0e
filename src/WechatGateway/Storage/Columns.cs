namespace WechatGateway.Storage;

/// <summary>Values that must fit a column of known width (MySQL in strict mode refuses a longer one instead of cutting it).</summary>
public static class Columns
{
    /// <summary><paramref name="value"/>, cut to <paramref name="length"/> characters (a VARCHAR's width counts characters).</summary>
    public static string Fit(string value, int length) => value.Length <= length ? value : value[..length];
}
