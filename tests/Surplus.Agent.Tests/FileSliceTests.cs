namespace Surplus.Agent.Tests;

public sealed class FileSliceTests : IDisposable
{
    private readonly TempFolder temp = new();

    [Fact]
    public async Task Read_FileLongerThanTheSlice_StopsAtTheSlicesLength()
    {
        var path = Path.Combine(temp.Path, "grown");
        await File.WriteAllTextAsync(path, "0123456789");
        using var handle = File.OpenHandle(path);
        await using var slice = new FileSlice(handle, 4, null);

        var text = await new StreamReader(slice).ReadToEndAsync();

        Assert.Equal("0123", text);
        Assert.Null(slice.Cut);
    }

    [Fact]
    public async Task Read_FileShorterThanTheSlice_IsFilledWithZerosAndSaysSo()
    {
        var path = Path.Combine(temp.Path, "shrunk");
        await File.WriteAllTextAsync(path, "abc");
        using var handle = File.OpenHandle(path);
        await using var slice = new FileSlice(handle, 6, null);
        using var copy = new MemoryStream();

        await slice.CopyToAsync(copy);

        Assert.Equal("abc\0\0\0"u8.ToArray(), copy.ToArray());
        Assert.Equal("shrank to 3 bytes while being packed; the rest up to 6 is zeros", slice.Cut);
    }

    [Fact]
    public async Task Read_OutOfTime_StopsReadingAndFillsWithZeros()
    {
        var path = Path.Combine(temp.Path, "slow");
        await File.WriteAllTextAsync(path, "abcdef");
        using var handle = File.OpenHandle(path);
        await using var slice = new FileSlice(handle, 6, () => true);
        using var copy = new MemoryStream();

        await slice.CopyToAsync(copy);

        Assert.Equal(new byte[6], copy.ToArray());
        Assert.StartsWith("was cut at byte 0 of 6 when the packing time ran out", slice.Cut, StringComparison.Ordinal);
    }

    public void Dispose() => temp.Dispose();
}
