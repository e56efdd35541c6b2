// An image (stimulus or mask) drawn 1:1 at whole-pixel coordinates.
// Each framebuffer pixel reads exactly one texel with textureLoad: no filtering, no
// interpolation, and with an Rgba8Unorm texture and a non-sRGB target no colour conversion,
// so the framebuffer holds the image file's bytes.

struct Placement {
    origin: vec2<f32>,
    size: vec2<f32>,
    screen: vec2<f32>,
    unused: vec2<f32>,
}

@group(0) @binding(0) var<uniform> placement: Placement;
@group(0) @binding(1) var image: texture_2d<f32>;

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    // A triangle strip over the corners (0,0) (1,0) (0,1) (1,1).
    let corner = vec2<f32>(f32(index & 1u), f32((index >> 1u) & 1u));
    let pixel = placement.origin + corner * placement.size;
    return vec4<f32>(pixel.x / placement.screen.x * 2.0 - 1.0, 1.0 - pixel.y / placement.screen.y * 2.0, 0.0, 1.0);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let texel = vec2<i32>(floor(position.xy - placement.origin));
    return textureLoad(image, texel, 0);
}
