//! Draws one frame of a session: the background, the fixation outline, the stimulus or mask
//! (1:1 and byte-exact), the egui screens (text and response grid), and the photodiode patch
//! when configured.
//!
//! Colour formats: images are uploaded as `Rgba8Unorm` and drawn into a non-sRGB target
//! (`Rgba8Unorm` offscreen, `Bgra8Unorm` on screen), and read with `textureLoad`, so no sRGB
//! conversion or filtering changes a value: the framebuffer holds the PNG's bytes.

use std::collections::HashMap;

use wgpu::util::DeviceExt;

use super::layout::{Layout, PixelRect};
use super::screens::{self, Overlay};
use crate::categories::Category;
use crate::config::Colour;
use crate::stimuli::mask::Mask;
use crate::trials::Screen;

/// Response icons by category: width, height and RGBA pixels.
pub type IconImages = HashMap<Category, (u32, u32, Vec<u8>)>;

/// What stays the same for a whole session.
pub struct SceneSetup<'a> {
    /// Where things go.
    pub layout: Layout,
    /// Background colour.
    pub background: Colour,
    /// Fixation outline colour.
    pub fixation: Colour,
    /// Response icons by category (RGBA, with their size), when configured.
    pub icons: &'a IconImages,
    /// Physical pixels per egui point (the OS scale factor).
    pub pixels_per_point: f32,
}

/// One image slot (stimulus or mask): its texture and what binds it.
struct ImageSlot {
    texture: wgpu::Texture,
    bind_group: wgpu::BindGroup,
    rect: PixelRect,
}

/// Renders session screens into any non-sRGB colour target of one format.
pub struct SceneRenderer {
    layout: Layout,
    clear: wgpu::Color,
    solid: wgpu::RenderPipeline,
    solid_bind_group: wgpu::BindGroup,
    fixation_vertices: wgpu::Buffer,
    fixation_count: u32,
    /// The photodiode patch: six white vertices, then six black ones.
    photodiode: Option<wgpu::Buffer>,
    image: wgpu::RenderPipeline,
    stimulus: ImageSlot,
    mask: ImageSlot,
    egui: egui::Context,
    egui_renderer: egui_wgpu::Renderer,
    icons: HashMap<Category, egui::TextureHandle>,
    pixels_per_point: f32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Vertex {
    pixel: [f32; 2],
    colour: [f32; 4],
}

/// The two triangles of a rectangle, in one flat colour.
fn rectangle(r: &PixelRect, colour: [f32; 4]) -> [Vertex; 6] {
    let (l, t) = (r.left as f32, r.top as f32);
    let (rr, b) = (l + r.width as f32, t + r.height as f32);
    [[l, t], [rr, t], [l, b], [l, b], [rr, t], [rr, b]].map(|pixel| Vertex { pixel, colour })
}

/// Exactly representable 8-bit levels, so clears and flat colours give the configured bytes.
fn unorm(colour: Colour) -> [f32; 4] {
    let [r, g, b] = colour.to_rgb8();
    [
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
        1.0,
    ]
}

impl SceneRenderer {
    /// Builds pipelines and textures for `format` (which must not be sRGB).
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat, setup: &SceneSetup<'_>) -> Self {
        let layout = setup.layout.clone();
        let screen = [layout.screen.0 as f32, layout.screen.1 as f32, 0.0, 0.0];
        let screen_uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("screen size"),
            contents: bytemuck::cast_slice(&screen),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let uniform_entry = wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let solid_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("solid"),
            entries: &[uniform_entry],
        });
        let solid_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("solid"),
            layout: &solid_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: screen_uniform.as_entire_binding(),
            }],
        });
        let image_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("image"),
            entries: &[
                uniform_entry,
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: false },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
            ],
        });
        let solid_shader =
            device.create_shader_module(wgpu::include_wgsl!("../../shaders/solid.wgsl"));
        let image_shader =
            device.create_shader_module(wgpu::include_wgsl!("../../shaders/image.wgsl"));
        let vertex_layout = wgpu::VertexBufferLayout {
            array_stride: std::mem::size_of::<Vertex>() as u64,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: &wgpu::vertex_attr_array![0 => Float32x2, 1 => Float32x4],
        };
        let solid = pipeline(
            device,
            format,
            &solid_layout,
            &solid_shader,
            &[Some(vertex_layout)],
            wgpu::PrimitiveTopology::TriangleList,
        );
        let image = pipeline(
            device,
            format,
            &image_layout,
            &image_shader,
            &[],
            wgpu::PrimitiveTopology::TriangleStrip,
        );
        let colour = unorm(setup.fixation);
        let vertices: Vec<Vertex> = layout
            .fixation
            .iter()
            .flat_map(|r| rectangle(r, colour))
            .collect();
        let fixation_vertices = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("fixation outline"),
            contents: bytemuck::cast_slice(&vertices),
            usage: wgpu::BufferUsages::VERTEX,
        });
        let photodiode = layout.photodiode.map(|patch| {
            let white = rectangle(&patch, [1.0; 4]);
            let black = rectangle(&patch, [0.0, 0.0, 0.0, 1.0]);
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("photodiode patch"),
                contents: bytemuck::cast_slice(&[white, black]),
                usage: wgpu::BufferUsages::VERTEX,
            })
        });
        let slot = |rect: PixelRect, label: &str| {
            let texture = device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width: rect.width,
                    height: rect.height,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba8Unorm,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            });
            let placement = [
                rect.left as f32,
                rect.top as f32,
                rect.width as f32,
                rect.height as f32,
                screen[0],
                screen[1],
                0.0,
                0.0,
            ];
            let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::cast_slice(&placement),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            let view = texture.create_view(&Default::default());
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout: &image_layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: uniform.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::TextureView(&view),
                    },
                ],
            });
            ImageSlot {
                texture,
                bind_group,
                rect,
            }
        };
        let egui = egui::Context::default();
        let icons = setup
            .icons
            .iter()
            .map(|(category, (w, h, rgba))| {
                let image =
                    egui::ColorImage::from_rgba_unmultiplied([*w as usize, *h as usize], rgba);
                (
                    *category,
                    egui.load_texture(category.name(), image, egui::TextureOptions::NEAREST),
                )
            })
            .collect();
        SceneRenderer {
            stimulus: slot(layout.stimulus, "stimulus"),
            mask: slot(layout.mask, "mask"),
            clear: {
                let [r, g, b, _] = unorm(setup.background);
                wgpu::Color {
                    r: f64::from(r),
                    g: f64::from(g),
                    b: f64::from(b),
                    a: 1.0,
                }
            },
            solid,
            solid_bind_group,
            fixation_count: vertices.len() as u32,
            fixation_vertices,
            photodiode,
            image,
            egui_renderer: egui_wgpu::Renderer::new(
                device,
                format,
                egui_wgpu::RendererOptions::PREDICTABLE,
            ),
            egui,
            icons,
            pixels_per_point: setup.pixels_per_point,
            layout,
        }
    }

    /// The layout in use.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Words the start and end screens as a practice run's.
    pub fn show_practice(&mut self) {
        self.layout.practice = true;
    }

    /// Uploads the next stimulus (RGBA, the stimulus size).
    pub fn set_stimulus(&self, queue: &wgpu::Queue, rgba: &[u8]) {
        upload(queue, &self.stimulus, rgba);
    }

    /// Uploads the next mask.
    pub fn set_mask(&self, queue: &wgpu::Queue, mask: &Mask) {
        let rgba: Vec<u8> = mask.pixels.iter().flat_map(|&v| [v, v, v, 255]).collect();
        upload(queue, &self.mask, &rgba);
    }

    /// Records the drawing of `screen` (and an overlay) into `target`.
    pub fn draw(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        screen: &Screen,
        overlay: &Overlay,
    ) {
        let size = [self.layout.screen.0, self.layout.screen.1];
        let descriptor = egui_wgpu::ScreenDescriptor {
            size_in_pixels: size,
            pixels_per_point: self.pixels_per_point,
        };
        // Stimulus-locked screens draw without egui: only binds and draws happen in them.
        let needs_ui = screens::needs_egui(screen, overlay);
        let primitives = if needs_ui {
            let raw = screens::raw_input(self.layout.screen, self.pixels_per_point);
            let (layout, icons) = (&self.layout, &self.icons);
            let mut output = self.egui.run_ui(raw, |root| {
                screens::paint(root, screen, overlay, layout, icons)
            });
            let mut delta = std::mem::take(&mut output.textures_delta);
            for (id, images) in delta.set.drain() {
                for image in &images {
                    self.egui_renderer.update_texture(device, queue, id, image);
                }
            }
            let primitives = self.egui.tessellate(output.shapes, output.pixels_per_point);
            let extra =
                self.egui_renderer
                    .update_buffers(device, queue, encoder, &primitives, &descriptor);
            queue.submit(extra);
            for id in delta.free.drain() {
                self.egui_renderer.free_texture(&id);
            }
            primitives
        } else {
            Vec::new()
        };
        let mut pass = encoder
            .begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("frame"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(self.clear),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            })
            .forget_lifetime();
        match screen {
            Screen::Fixation => {
                pass.set_pipeline(&self.solid);
                pass.set_bind_group(0, &self.solid_bind_group, &[]);
                pass.set_vertex_buffer(0, self.fixation_vertices.slice(..));
                pass.draw(0..self.fixation_count, 0..1);
            }
            Screen::Stimulus(_) => self.draw_image(&mut pass, false),
            Screen::Mask(_) => self.draw_image(&mut pass, true),
            _ => {}
        }
        if needs_ui {
            self.egui_renderer
                .render(&mut pass, &primitives, &descriptor);
        }
        // Drawn last, over anything in its corner: white exactly on stimulus frames.
        if let Some(patch) = &self.photodiode {
            let first = if matches!(screen, Screen::Stimulus(_)) {
                0
            } else {
                6
            };
            pass.set_pipeline(&self.solid);
            pass.set_bind_group(0, &self.solid_bind_group, &[]);
            pass.set_vertex_buffer(0, patch.slice(..));
            pass.draw(first..first + 6, 0..1);
        }
    }

    fn draw_image(&self, pass: &mut wgpu::RenderPass<'static>, mask: bool) {
        let slot = if mask { &self.mask } else { &self.stimulus };
        pass.set_pipeline(&self.image);
        pass.set_bind_group(0, &slot.bind_group, &[]);
        pass.draw(0..4, 0..1);
    }
}

fn upload(queue: &wgpu::Queue, slot: &ImageSlot, rgba: &[u8]) {
    let (w, h) = (slot.rect.width, slot.rect.height);
    if rgba.len() != (w * h * 4) as usize {
        return;
    }
    queue.write_texture(
        slot.texture.as_image_copy(),
        rgba,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(w * 4),
            rows_per_image: Some(h),
        },
        slot.texture.size(),
    );
}

fn pipeline(
    device: &wgpu::Device,
    format: wgpu::TextureFormat,
    bind_group_layout: &wgpu::BindGroupLayout,
    shader: &wgpu::ShaderModule,
    buffers: &[Option<wgpu::VertexBufferLayout<'_>>],
    topology: wgpu::PrimitiveTopology,
) -> wgpu::RenderPipeline {
    let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: None,
        bind_group_layouts: &[Some(bind_group_layout)],
        immediate_size: 0,
    });
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: None,
        layout: Some(&layout),
        vertex: wgpu::VertexState {
            module: shader,
            entry_point: Some("vs_main"),
            compilation_options: Default::default(),
            buffers,
        },
        primitive: wgpu::PrimitiveState {
            topology,
            ..Default::default()
        },
        depth_stencil: None,
        multisample: Default::default(),
        fragment: Some(wgpu::FragmentState {
            module: shader,
            entry_point: Some("fs_main"),
            compilation_options: Default::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format,
                blend: None,
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}
