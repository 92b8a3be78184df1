#include "cvulkan.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

cvk_api cvk;

static void *handle;
static const char *load_error;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void open_loader(void) {
    const char *path = getenv("VKSERVE_VULKAN_LOADER");
    handle = dlopen(path && *path ? path : "libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) { load_error = "the Vulkan loader (libvulkan.so.1) is not installed"; return; }
    cvk.GetInstanceProcAddr = (PFN_vkGetInstanceProcAddr)dlsym(handle, "vkGetInstanceProcAddr");
    if (!cvk.GetInstanceProcAddr) { load_error = "libvulkan.so.1 has no vkGetInstanceProcAddr"; return; }
#define G(name) cvk.name = (PFN_vk##name)cvk.GetInstanceProcAddr(NULL, "vk" #name)
    G(EnumerateInstanceVersion);
    G(EnumerateInstanceExtensionProperties);
    G(CreateInstance);
#undef G
    if (!cvk.CreateInstance) load_error = "the Vulkan loader does not provide vkCreateInstance";
}

int cvk_load(const char **error) {
    pthread_once(&once, open_loader);
    if (load_error) { if (error) *error = load_error; return -1; }
    return 0;
}

void cvk_load_instance(VkInstance instance) {
#define I(name) cvk.name = (PFN_vk##name)cvk.GetInstanceProcAddr(instance, "vk" #name)
    I(DestroyInstance); I(EnumeratePhysicalDevices); I(GetPhysicalDeviceProperties);
    I(GetPhysicalDeviceProperties2); I(GetPhysicalDeviceFeatures2); I(GetPhysicalDeviceMemoryProperties);
    I(GetPhysicalDeviceMemoryProperties2); I(GetPhysicalDeviceQueueFamilyProperties);
    I(EnumerateDeviceExtensionProperties); I(CreateDevice); I(GetDeviceProcAddr);
#undef I
}

void cvk_load_device(VkDevice device) {
#define D(name) cvk.name = (PFN_vk##name)cvk.GetDeviceProcAddr(device, "vk" #name)
    D(DestroyDevice); D(GetDeviceQueue); D(DeviceWaitIdle); D(QueueSubmit); D(QueueWaitIdle);
    D(AllocateMemory); D(FreeMemory); D(MapMemory); D(UnmapMemory); D(CreateBuffer); D(DestroyBuffer);
    D(GetBufferMemoryRequirements); D(BindBufferMemory); D(CreateShaderModule); D(DestroyShaderModule);
    D(CreateDescriptorSetLayout); D(DestroyDescriptorSetLayout); D(CreatePipelineLayout);
    D(DestroyPipelineLayout); D(CreateComputePipelines); D(DestroyPipeline); D(CreateDescriptorPool);
    D(DestroyDescriptorPool); D(ResetDescriptorPool); D(AllocateDescriptorSets); D(UpdateDescriptorSets);
    D(CreateCommandPool); D(DestroyCommandPool); D(AllocateCommandBuffers); D(ResetCommandBuffer);
    D(BeginCommandBuffer); D(EndCommandBuffer); D(CmdBindPipeline); D(CmdBindDescriptorSets);
    D(CmdPushConstants); D(CmdDispatch); D(CmdPipelineBarrier); D(CmdCopyBuffer); D(CmdFillBuffer);
    D(CmdWriteTimestamp); D(CmdResetQueryPool); D(CreateQueryPool); D(DestroyQueryPool);
    D(GetQueryPoolResults); D(CreateFence); D(DestroyFence); D(ResetFences); D(WaitForFences);
#undef D
}
